"""AGLFOP: the accuracy and global-local fairness optimality problem (docs/user_guide/optimum.md).

Hamman and Dutta (ICLR 2024), Definition 4: over all joint distributions Q(Z,S,Y,Yhat) whose
(Z,S,Y) marginal is the data's,

    maximize    P_Q(Yhat = Y)
    subject to  I_Q(Z;Yhat) <= eps_global,   I_Q(Z;Yhat|S) <= eps_local.

The variable is the channel ``c[x, yhat] = Q(Yhat = yhat | X = x)`` where the classifier's input X
is (Z,S,Y) (the paper's problem, ``inputs="zsy"``) or only (Z,S) (``inputs="zs"``: a classifier
that cannot see the label). Every marginal of Q that enters the objective and the constraints is
linear in the channel:

    q(z,yhat)   = sum_x A_z[z,x] c[x,yhat],        A_z[z,x]      = P(Z=z, X=x)
    q(z,s,yhat) = sum_x A_zs[(z,s),x] c[x,yhat],   A_zs[(z,s),x] = P(Z=z, S=s, X=x)

so that (natural logarithms; divide by ln 2 for bits)

    I_Q(Z;Yhat)   = sum rel_entr( q(z,yhat),   P(z) q(yhat) )
    I_Q(Z;Yhat|S) = sum rel_entr( q(z,s,yhat), P(z|s) q(s,yhat) )

are sums of relative entropies of affine functions of c: the program is convex (DCP) and the two
bounds enter as cvxpy Parameters, so a whole (eps_global, eps_local) grid reuses one compiled
problem (DPP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..utils import progress_bar
from ._info import (LN2, check_joint, conditional_mutual_information, empirical_joint,
                    encode_labels, entropy, mutual_information, sample_count, solve)
from ._limits import check_solution

__all__ = ["AGLFOPResult", "aglfop", "aglfop_from_samples", "aglfop_frontier"]

_INPUTS = ("zsy", "zs")
#: Bounds at or below this many bits are treated as exact independence (linear constraints).
_TINY = 1e-9


@dataclass(frozen=True)
class AGLFOPResult:
    """Solution of the AGLFOP.

    Parameters
    ----------
    accuracy : float
        Optimal accuracy ``P_Q(Yhat = Y)``: an upper bound on the accuracy of every classifier of
        the same inputs (federated or not) that meets both fairness bounds.
    channel : ndarray of shape (n_z, n_s, n_y, n_y) or (n_cells, n_y)
        Optimal channel ``Q(Yhat | Z, S, Y)``; the last axis is Yhat (same labels as Y). With
        ``inputs="zs"`` it does not depend on Y. For a classifier of cells (4-D ``p`` or
        ``cells=``) it is ``Q(Yhat | cell)``, shape (n_cells, n_y). Rows of cells with zero
        probability are uniform (any choice is optimal there).
    status : str
        cvxpy solver status (``"optimal"`` or ``"optimal_inaccurate"``), or ``"violated"``
        when a disparity exceeds its bound by more than ``ABS_TOL + REL_TOL * eps`` bits
        after one tightened re-solve (a ``FairnessLimitWarning`` gives the achieved values;
        see :func:`~fairlearn_online.optimum.fairness_limit`).
    global_disparity : float
        ``I_Q(Z;Yhat)`` of the optimal channel, in bits.
    local_disparity : float
        ``I_Q(Z;Yhat|S)`` of the optimal channel, in bits.
    eps_global, eps_local : float
        The bounds, in bits (``inf`` = no bound).
    p_zsy : ndarray of shape (n_z, n_s, n_y)
        The (Z,S,Y) distribution the problem was solved for.
    inputs : {"zsy", "zs", "cells"}
        What the classifier sees.
    labels : dict or None
        ``{"z": [...], "s": [...], "y": [...]}`` (and ``"cells"``) for
        :func:`aglfop_from_samples`.
    p_cells : ndarray of shape (n_cells, n_z, n_s, n_y) or None
        ``P(cell, Z, S, Y)`` for a classifier of cells.
    """

    accuracy: float
    channel: np.ndarray = field(repr=False)
    status: str
    global_disparity: float
    local_disparity: float
    eps_global: float
    eps_local: float
    p_zsy: np.ndarray = field(repr=False)
    inputs: str = "zsy"
    labels: dict | None = field(default=None, repr=False)
    p_cells: np.ndarray | None = field(default=None, repr=False)

    @property
    def joint(self) -> np.ndarray:
        """``Q(Z, S, Y, Yhat)`` of the optimal channel, shape (n_z, n_s, n_y, n_y)."""
        if self.p_cells is not None:
            return np.einsum("xzsy,xh->zsyh", self.p_cells, self.channel)
        return self.p_zsy[..., None] * self.channel


def _check_eps(value, name):
    try:
        eps = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number (bits), got {value!r}.") from None
    if math.isnan(eps):
        raise ValueError(f"{name} is NaN.")
    if eps < 0:
        raise ValueError(f"{name} = {eps} is infeasible: mutual information is never negative; "
                         "use 0 for exact fairness.")
    return eps


def _check_inputs(inputs):
    if inputs not in _INPUTS:
        raise ValueError(f"inputs must be one of {_INPUTS}, got {inputs!r}.")
    return inputs


def _check_p(p, name="p_zsy"):
    """Validate a (Z,S,Y) joint (3-D) or a (cell,Z,S,Y) joint (4-D)."""
    try:
        ndim = np.ndim(p)
    except Exception:  # pragma: no cover - ragged input; check_joint reports it
        ndim = 3
    p = check_joint(p, name=name, ndim=4 if ndim == 4 else 3)
    z_axis = p.ndim - 3
    mass_z = p.sum(axis=tuple(a for a in range(p.ndim) if a != z_axis))
    if np.count_nonzero(mass_z) < 2:
        raise ValueError(f"{name} must give positive probability to at least two protected "
                         f"groups (axis {z_axis}); got shape {p.shape}. With one group there is "
                         "no disparity.")
    return p


def _program_for(p, inputs, solver):
    """``(program, x_of, p_zsy, inputs)`` for a validated 3-D or 4-D joint."""
    if p.ndim == 4:
        return _AGLFOPProgram(p, solver), None, p.sum(axis=0), "cells"
    inputs = _check_inputs(inputs)
    x_of, p4 = _input_cells(p, inputs)
    return _AGLFOPProgram(p4, solver), x_of, p, inputs


def _checked_solve(program, eps_global, eps_local, stacklevel=5):
    """``program.solve`` with its solution checked against both bounds (the check of
    :func:`~fairlearn_online.optimum.fairness_limit`: tolerance ``ABS_TOL + REL_TOL * eps`` bits,
    one tightened re-solve, else status ``"violated"`` and a ``FairnessLimitWarning``)."""
    bounds = (_check_eps(eps_global, "eps_global"), _check_eps(eps_local, "eps_local"))
    solution, status, _ = check_solution(
        lambda b: (lambda out: (out, out[1]))(program.solve(*b)), lambda out: out[3:5], bounds,
        what="AGLFOP", names=("global disparity", "local disparity"),
        bound_names=("eps_global", "eps_local"), stacklevel=stacklevel)
    channel, _, acc, i_g, i_l = solution
    return channel, status, acc, i_g, i_l


def _result(program, x_of, p_zsy, inputs, eps_global, eps_local, labels=None):
    channel, status, acc, i_g, i_l = _checked_solve(program, eps_global, eps_local)
    return AGLFOPResult(
        accuracy=acc, channel=channel if x_of is None else channel[x_of], status=status,
        global_disparity=i_g, local_disparity=i_l, eps_global=float(eps_global),
        eps_local=float(eps_local), p_zsy=p_zsy, inputs=inputs, labels=labels,
        p_cells=program.p if x_of is None else None)


class _AGLFOPProgram:
    """The compiled AGLFOP for ``p[x, z, s, y]`` (x = the classifier's input cell).

    ``solve`` re-uses the compiled problem for any pair of bounds (DPP).
    """

    def __init__(self, p_xzsy, solver=None):
        import cvxpy as cp

        self.p = p = p_xzsy
        self.solver = solver
        n_cells, nz, ns, ny = p.shape
        self.support = np.flatnonzero(p.sum(axis=(1, 2, 3)) > 0)  # input cells that occur
        ps = p[self.support]
        nx = len(self.support)
        A_zs = ps.sum(axis=3).reshape(nx, nz * ns).T  # A_zs[(z,s), x] = P(z, s, x)
        W = ps.sum(axis=(1, 2))  # W[x, y] = P(X=x, Y=y): accuracy = sum W * c
        p_z = p.sum(axis=(0, 2, 3))
        p_zs = p.sum(axis=(0, 3)).ravel()
        p_s = p.sum(axis=(0, 1, 3))
        A_z = A_zs.reshape(nz, ns, nx).sum(axis=1)
        A_s = A_zs.reshape(nz, ns, nx).sum(axis=0)
        keep_z = p_z > 0
        R_g = np.outer(p_z, A_z.sum(axis=0))  # P(z) q(yhat) = (R_g @ c)[z, yhat]
        keep_zs = p_zs > 0
        s_idx = np.arange(nz * ns) % ns
        p_z_given_s = np.zeros(nz * ns)
        p_z_given_s[keep_zs] = p_zs[keep_zs] / p_s[s_idx[keep_zs]]
        R_l = p_z_given_s[:, None] * A_s[s_idx]  # P(z|s) q(s,yhat) = (R_l @ c)[(z,s), yhat]

        self.c = c = cp.Variable((nx, ny), nonneg=True)
        self.eps_g = cp.Parameter(nonneg=True, name="eps_global_nats")
        self.eps_l = cp.Parameter(nonneg=True, name="eps_local_nats")
        # A zero bound has no strictly feasible point for the exponential cone, which interior-
        # point solvers handle poorly ("optimal_inaccurate", errors ~1e-5). Zero mutual
        # information is the linear condition q(z,yhat) = P(z) q(yhat) (resp. given S), so for a
        # zero bound these "gates" close to equalities and the cone bound is left loose.
        self.gate_g = cp.Parameter(nonneg=True, name="gate_global")
        self.gate_l = cp.Parameter(nonneg=True, name="gate_local")
        dev_g = (A_z[keep_z] - R_g[keep_z]) @ c
        dev_l = (A_zs[keep_zs] - R_l[keep_zs]) @ c
        i_global = cp.sum(cp.rel_entr(A_z[keep_z] @ c, R_g[keep_z] @ c))
        i_local = cp.sum(cp.rel_entr(A_zs[keep_zs] @ c, R_l[keep_zs] @ c))
        constraints = [cp.sum(c, axis=1) == 1, i_global <= self.eps_g, i_local <= self.eps_l,
                       cp.abs(dev_g) <= self.gate_g, cp.abs(dev_l) <= self.gate_l]
        self.problem = cp.Problem(cp.Maximize(cp.sum(cp.multiply(W, c))), constraints)
        # any bound above H(Z) is loose: I(Z;Yhat|S) <= H(Z|S) <= H(Z) and I(Z;Yhat) <= H(Z)
        self.loose = entropy(p_z) + 1.0

    def solve(self, eps_global, eps_local):
        """Returns ``(channel[x, yhat], status, accuracy, I(Z;Yhat), I(Z;Yhat|S))``."""
        eps_g = _check_eps(eps_global, "eps_global")
        eps_l = _check_eps(eps_local, "eps_local")
        # a closed gate already forces zero information: the cone bound is then left loose
        self.eps_g.value = (self.loose if eps_g <= _TINY else min(eps_g, self.loose)) * LN2
        self.eps_l.value = (self.loose if eps_l <= _TINY else min(eps_l, self.loose)) * LN2
        self.gate_g.value = 0.0 if eps_g <= _TINY else 1.0
        self.gate_l.value = 0.0 if eps_l <= _TINY else 1.0
        status = solve(self.problem, self.solver, what="AGLFOP")
        ny = self.p.shape[3]
        values = np.clip(np.asarray(self.c.value, dtype=float), 0.0, None)
        sums = values.sum(axis=1, keepdims=True)
        values = np.where(sums > 0, values / np.where(sums > 0, sums, 1.0), 1.0 / ny)
        channel = np.full((self.p.shape[0], ny), 1.0 / ny)
        channel[self.support] = values
        accuracy = float(np.einsum("xzsy,xy->", self.p, channel))
        q_zsyhat = np.einsum("xzsy,xh->zsh", self.p, channel)
        return (channel, status, min(accuracy, 1.0), mutual_information(q_zsyhat.sum(axis=1)),
                conditional_mutual_information(q_zsyhat.transpose(0, 2, 1)))


def _input_cells(p_zsy, inputs):
    """Input cell index of each (z, s, y) and ``p[x, z, s, y]`` for ``inputs`` in zsy / zs."""
    nz, ns, ny = p_zsy.shape
    if inputs == "zsy":
        x_of = np.arange(nz * ns * ny).reshape(nz, ns, ny)
    else:
        x_of = np.broadcast_to(np.arange(nz * ns).reshape(nz, ns, 1), p_zsy.shape)
    p4 = np.zeros((int(x_of.max()) + 1, nz, ns, ny))
    z, s, y = np.indices(p_zsy.shape)
    p4[x_of.ravel(), z.ravel(), s.ravel(), y.ravel()] = p_zsy.ravel()
    return x_of, p4


def aglfop(p_zsy, eps_global=np.inf, eps_local=np.inf, *, inputs="zsy", solver=None):
    """Best accuracy of any classifier under global and local fairness bounds (AGLFOP).

    Solves ``max P_Q(Yhat = Y)`` over channels ``Q(Yhat | inputs)`` subject to
    ``I_Q(Z;Yhat) <= eps_global`` and ``I_Q(Z;Yhat|S) <= eps_local`` (bits), the convex program of
    Hamman and Dutta (ICLR 2024); see ``docs/user_guide/optimum.md``, "Algorithm".

    Parameters
    ----------
    p_zsy : array-like of shape (n_z, n_s, n_y), or (n_cells, n_z, n_s, n_y)
        Joint distribution ``P(Z=z, S=s, Y=y)`` of protected attribute, client (or any second
        variable) and label: finite, non-negative, summing to 1 (within 1e-6). Predictions take
        values in the label set. A 4-D array ``P(cell, Z, S, Y)`` makes the classifier see only
        the cell (a discrete representation of the features; ``inputs`` is then ignored).
    eps_global : float, default=inf
        Bound on the global disparity ``I(Z;Yhat)`` in bits (0 = independence).
    eps_local : float, default=inf
        Bound on the local disparity ``I(Z;Yhat|S)`` in bits.
    inputs : {"zsy", "zs"}, default="zsy"
        What the classifier sees. ``"zsy"`` is the paper's problem (any Q with the data's (Z,S,Y)
        marginal; unconstrained it reaches accuracy 1); ``"zs"`` restricts it to (Z,S), whose
        unconstrained optimum is the Bayes accuracy ``sum_{z,s} max_y P(z,s,y)``.
    solver : str, optional
        cvxpy solver (exponential cone); default Clarabel with SCS as fallback.

    Returns
    -------
    AGLFOPResult

    Raises
    ------
    ValueError
        If ``p_zsy`` is not a 3-D probability array with two protected groups or a bound is
        negative or NaN (the problem is feasible for every non-negative bound: a constant
        prediction meets both).
    RuntimeError
        If the conic solver fails (e.g. extremely badly scaled probabilities).

    See Also
    --------
    aglfop_frontier : the accuracy surface over a grid of bounds (one compiled problem).
    aglfop_from_samples : the same from samples of (Z, S, Y).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import aglfop
    >>> p = np.array([[[0.3, 0.1], [0.1, 0.1]],
    ...               [[0.1, 0.1], [0.05, 0.15]]])          # p[z, s, y]
    >>> round(aglfop(p, inputs="zs").accuracy, 4)            # Bayes accuracy of (Z, S)
    0.65
    >>> res = aglfop(p, eps_global=0.0, eps_local=0.0, inputs="zs")
    >>> round(res.accuracy, 4), res.global_disparity < 1e-9    # best constant prediction
    (0.55, True)
    """
    p = _check_p(p_zsy)
    program, x_of, p3, inputs = _program_for(p, inputs, solver)
    return _result(program, x_of, p3, inputs, eps_global, eps_local)


def aglfop_from_samples(z, s, y, eps_global=np.inf, eps_local=np.inf, *, inputs="zsy",
                        cells=None, sample_weight=None, solver=None):
    """:func:`aglfop` for the empirical distribution of samples of (Z, S, Y).

    Parameters
    ----------
    z : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Protected attribute (hashable labels; several columns = intersectional groups).
    s : array-like of shape (n_samples,)
        Client (or any second discrete variable).
    y : array-like of shape (n_samples,)
        Labels; predictions take values among them.
    eps_global, eps_local : float, default=inf
        Bounds in bits.
    inputs : {"zsy", "zs"}, default="zsy"
        What the classifier sees (ignored when ``cells`` is given).
    cells : array-like of shape (n_samples,) or (n_samples, k), optional
        A discrete representation of the features that the classifier sees instead, e.g.
        quantized scores of a fitted model (:func:`quantile_cells`), possibly with Z or S as
        extra columns. The optimum is then the best post-processing of those cells.
    sample_weight : array-like of shape (n_samples,), optional
    solver : str, optional

    Returns
    -------
    AGLFOPResult
        With ``labels`` giving the label order of each axis of ``channel``.

    Examples
    --------
    >>> from fairlearn_online.optimum import aglfop_from_samples
    >>> z = ["f", "f", "m", "m", "m", "f"]
    >>> s = [0, 0, 0, 1, 1, 1]
    >>> y = [0, 1, 1, 1, 0, 0]
    >>> res = aglfop_from_samples(z, s, y, eps_global=0.0, eps_local=0.0)
    >>> res.labels["z"], round(res.accuracy, 4)
    (['f', 'm'], 0.8333)
    """
    n = sample_count(z, name="z", empty_message="z, s and y must not be empty.")
    codes, labels = [], {}
    named = ((z, "z"), (s, "s"), (y, "y")) + (((cells, "cells"),) if cells is not None else ())
    for values, name in named:
        c, lab = encode_labels(values, n, name=name)
        codes.append(c)
        labels[name] = lab
    if cells is not None:  # p[cell, z, s, y]
        codes = codes[3:] + codes[:3]
    p = empirical_joint(*codes, shape=tuple(int(c.max()) + 1 for c in codes),
                        sample_weight=sample_weight)
    p = _check_p(p, name="the empirical distribution of (z, s, y)")
    program, x_of, p3, inputs = _program_for(p, inputs, solver)
    return _result(program, x_of, p3, inputs, eps_global, eps_local, labels=labels)


def aglfop_frontier(p_zsy, eps_global_grid, eps_local_grid, *, inputs="zsy", solver=None,
                    progress=None):
    """Optimal accuracy over a grid of (eps_global, eps_local) bounds.

    The problem is compiled once with the bounds as cvxpy Parameters (DPP), then re-solved for
    each grid point, which is much faster than rebuilding it (``benchmarks/bench_optimum.py``).

    Parameters
    ----------
    p_zsy : array-like of shape (n_z, n_s, n_y) or (n_cells, n_z, n_s, n_y)
        See :func:`aglfop`.
    eps_global_grid, eps_local_grid : array-like of float
        Bounds in bits (non-negative; ``inf`` allowed).
    inputs : {"zsy", "zs"}, default="zsy"
    solver : str, optional
    progress : bool, optional
        Show a progress bar (default: only on a terminal).

    Returns
    -------
    frontier : pandas.DataFrame
        One row per grid point: ``eps_global``, ``eps_local``, ``accuracy``,
        ``global_disparity``, ``local_disparity`` (achieved, bits), ``status``.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import aglfop_frontier
    >>> p = np.array([[[0.3, 0.1], [0.1, 0.1]],
    ...               [[0.1, 0.1], [0.05, 0.15]]])
    >>> grid = aglfop_frontier(p, [0.0, 0.05], [0.0, 0.05])
    >>> grid.shape
    (4, 6)
    >>> grid["accuracy"].round(4).tolist()
    [0.85, 0.8833, 0.9, 0.9898]
    """
    p = _check_p(p_zsy)
    g_grid = [_check_eps(v, "eps_global_grid") for v in np.atleast_1d(eps_global_grid)]
    l_grid = [_check_eps(v, "eps_local_grid") for v in np.atleast_1d(eps_local_grid)]
    if not g_grid or not l_grid:
        raise ValueError("eps_global_grid and eps_local_grid must not be empty.")
    program = _program_for(p, inputs, solver)[0]
    rows = []
    pairs = [(g, e) for g in g_grid for e in l_grid]
    for g, e in progress_bar(pairs, total=len(pairs), desc="AGLFOP grid", enable=progress):
        _, status, acc, i_g, i_l = _checked_solve(program, g, e, stacklevel=4)
        rows.append(dict(eps_global=g, eps_local=e, accuracy=acc, global_disparity=i_g,
                         local_disparity=i_l, status=status))
    return pd.DataFrame(rows)
