"""Fairness limits: the best accuracy of any randomized classifier of discrete cells.

The linear-measure limits of ``docs/user_guide/optimum.md`` ("Fairness limits for demographic
parity and equalized odds"), drawn as the limit of the frontier figures (``docs/experiments.md``).

Given a discrete representation of the features (cells: quantized scores of a fitted model, the
protected attribute, or any tuple of discrete columns), a randomized classifier is a vector
``t[c] = P(Yhat = pos | cell c)`` in ``[0, 1]``. With ``p(c, g, y)`` the empirical distribution,

    accuracy(t) = sum_c p(c, neg) + sum_c (p(c, pos) - p(c, neg)) t[c]                 (linear)
    selection rate of group g      r_g   = sum_c p(c, g) t[c] / p(g)                    (linear)
    TPR / FPR of group g           r_g,y = sum_c p(c, g, y) t[c] / p(g, y)              (linear)

so the demographic-parity difference ``max_g r_g - min_g r_g <= eps`` and the equalized-odds
difference ``max_y (max_g r_g,y - min_g r_g,y) <= eps`` (fairlearn's definitions, "between
groups", worst case) are linear constraints with auxiliary bounds ``lo <= r_g <= hi``,
``hi - lo <= eps``: the limit is a linear program, solved with HiGHS. The mutual-information
constraint ``I(Z;Yhat) <= eps`` is the exponential-cone program of :func:`aglfop` with one client,
written here in a better-conditioned form: cells whose (group, label) profiles are proportional
are merged (the objective and the constraint depend on them only through their summed masses, so
this is exact), the decision is one number per merged cell, and the relative entropies are taken
of the joint masses ``q(z, yhat)`` scaled to O(1).

Every returned solution is checked against its constraint on the original cells: a disparity
above ``eps`` by more than ``ABS_TOL + REL_TOL * eps`` (differences of rates, or bits) is
re-solved once with the bound tightened by twice the excess when the excess is small (at most
``eps / 4``); if still violated, the result has status ``"violated"`` and a
:class:`FairnessLimitWarning` gives the achieved value.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._info import empirical_joint, encode_labels, mutual_information, sample_count

__all__ = ["FairnessLimit", "FairnessLimitWarning", "check_solution", "fairness_limit",
           "fairness_limit_curve", "quantile_cells"]

CONSTRAINTS = ("demographic_parity", "equalized_odds", "mutual_information")

#: A returned decision may exceed the bound by at most ``ABS_TOL + REL_TOL * eps`` (a difference
#: of rates, or bits): the solvers' own feasibility tolerances are ~1e-9 (HiGHS primal 1e-7 on
#: the scaled rows, Clarabel 1e-10).
ABS_TOL = 1e-7
REL_TOL = 1e-6
#: Bounds at or below this many bits are exact independence (linear constraints, no cone).
_TINY_BITS = 1e-9


class FairnessLimitWarning(RuntimeWarning):
    """The solver's decision exceeds the fairness bound by more than the documented tolerance."""


def check_solution(solve_once, measure, bounds, *, what, names=("disparity",),
                   bound_names=("eps",), stacklevel=3):
    """Solve, check the solution against its bounds, re-solve once tightened, else warn.

    Shared by :func:`fairness_limit` and :func:`~fairlearn_online.optimum.aglfop`: a solution
    whose measure exceeds its bound ``eps`` by more than ``ABS_TOL + REL_TOL * eps`` is solved
    again once, every violated bound tightened by twice its excess, when each excess is small
    (at most ``eps / 4``); the better of the two is kept. A solution still violating a bound
    gets the status ``"violated"`` and a :class:`FairnessLimitWarning` with the achieved values.

    Parameters
    ----------
    solve_once : callable
        ``solve_once(bounds) -> (solution, status)``, not yet checked.
    measure : callable
        ``measure(solution) -> tuple`` of the achieved values, one per bound.
    bounds : tuple of float
        The bounds (``inf``: none).
    what : str
        The problem's name in the warning.
    names, bound_names : tuple of str
        Names of the measures and of their bounds in the warning.
    stacklevel : int, default=3

    Returns
    -------
    solution, status, achieved
        ``status`` is the solver's, or ``"violated"``.
    """
    bounds = tuple(float(b) for b in bounds)
    tols = tuple(ABS_TOL + REL_TOL * b for b in bounds)

    def excesses(achieved):
        return [a - b if a > b + t else 0.0 for a, b, t in zip(achieved, bounds, tols)]

    solution, status = solve_once(bounds)
    achieved = tuple(measure(solution))
    over = excesses(achieved)
    if any(over) and all(a <= 1.25 * b for a, b, e in zip(achieved, bounds, over) if e):
        tightened = tuple(b - 2.0 * e for b, e in zip(bounds, over))
        solution2, status2 = solve_once(tightened)
        achieved2 = tuple(measure(solution2))
        over2 = excesses(achieved2)
        if not any(over2) or sum(over2) < sum(over):
            solution, status, achieved, over = solution2, status2, achieved2, over2
    if any(over):
        parts = [f"{name} {a:.6g} > {bname} = {b:.6g} (tolerance {t:.3g})"
                 for name, bname, a, b, t, e in zip(names, bound_names, achieved, bounds, tols,
                                                    over) if e]
        warnings.warn(
            f"The {what}'s solution (solver status {status!r}) has {'; '.join(parts)}: its "
            "accuracy is not a valid limit; the result's status is 'violated'.",
            FairnessLimitWarning, stacklevel=stacklevel)
        status = "violated"
    return solution, status, achieved


@dataclass(frozen=True)
class FairnessLimit:
    """The best randomized classifier of a set of cells under a fairness constraint.

    Parameters
    ----------
    accuracy : float
        Its accuracy: no classifier of these cells that meets the constraint does better (on
        the distribution it was computed from).
    eps : float
        The bound (difference of rates, or bits for ``"mutual_information"``).
    constraint : str
    disparity : float
        The constraint's measure for the optimal classifier (``<= eps``).
    decision : ndarray of shape (n_cells,)
        ``P(Yhat = pos_label | cell)`` of the optimal classifier, in the order of ``cells``.
    cells : list
        Cell labels (tuples for 2-D cells).
    pos_label : object
    status : str
        Solver status (``"optimal"``, ``"optimal_inaccurate"``), or ``"violated"`` when the
        decision exceeds ``eps`` by more than ``ABS_TOL + REL_TOL * eps`` (a
        :class:`FairnessLimitWarning` then gives the achieved value).
    """

    accuracy: float
    eps: float
    constraint: str
    disparity: float
    decision: np.ndarray = field(repr=False)
    cells: list = field(repr=False)
    pos_label: object = 1
    status: str = "optimal"


def quantile_cells(scores, n_bins=20):
    """Cut continuous scores into ``n_bins`` quantile bins (integer cell codes ``0..n_bins-1``).

    A convenient discrete representation of a fitted model for :func:`fairness_limit`.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Finite scores of any scale (a model's probabilities, for instance).
    n_bins : int, default=20
        Bins at most: tied quantiles merge, and the codes stay consecutive.

    Returns
    -------
    cells : ndarray of int of shape (n_samples,)

    Examples
    --------
    >>> from fairlearn_online.optimum import quantile_cells
    >>> quantile_cells([0.1, 0.4, 0.35, 0.8], n_bins=2).tolist()
    [0, 1, 0, 1]
    """
    x = np.asarray(scores, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("scores must be a non-empty array of finite numbers.")
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    edges = np.unique(np.quantile(x, np.linspace(0, 1, int(n_bins) + 1)[1:-1]))
    bins = np.searchsorted(edges, x, side="right")
    return np.unique(bins, return_inverse=True)[1].astype(np.int64).ravel()  # consecutive codes


class _Limit:
    """Compiled limit problem for one data set; ``solve(eps)`` for any bound."""

    def __init__(self, cells, z, y, constraint, pos_label, sample_weight, solver):
        if constraint not in CONSTRAINTS:
            raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}.")
        self.constraint = constraint
        n = sample_count(y, name="y", empty_message="cells, z and y must not be empty.")
        c, self.cell_labels = encode_labels(cells, n, name="cells")
        g, groups = encode_labels(z, n, name="z")
        yc, classes = encode_labels(y, n, name="y")
        if len(classes) != 2:
            raise ValueError(f"y must have exactly two classes, got {len(classes)}: "
                             f"{classes[:5]}.")
        if pos_label is None:
            pos_label = classes[1]
        elif pos_label not in classes:
            raise ValueError(f"pos_label={pos_label!r} is not one of the classes {classes}.")
        self.pos_label = pos_label
        pos = classes.index(pos_label)
        p = empirical_joint(c, g, yc, shape=(len(self.cell_labels), len(groups), 2),
                            sample_weight=sample_weight)
        if np.count_nonzero(p.sum(axis=(0, 2))) < 2:
            raise ValueError("z must contain at least two protected groups (with positive "
                             "weight); with one group there is no disparity to bound.")
        if pos == 0:
            p = p[:, :, ::-1]  # last axis: (negative, positive)
        self.p = p
        self.gain = p[:, :, 1].sum(axis=1) - p[:, :, 0].sum(axis=1)
        self.base = float(p[:, :, 0].sum())
        self.solver = solver
        if constraint == "mutual_information":
            self.program = _MutualInformationProgram(p, self.gain, solver)
        # zero mutual information is independence of Yhat and Z, i.e. equal selection rates:
        # a zero bound (no strictly feasible cone point) is the demographic-parity LP
        self._build_lp()

    # -- linear program ------------------------------------------------------------------
    def _rate_families(self):
        p = self.p
        if self.constraint in ("demographic_parity", "mutual_information"):
            pg = p.sum(axis=(0, 2))
            keep = pg > 0
            return [(p.sum(axis=2)[:, keep] / pg[keep]).T]
        families = []
        for label in (0, 1):
            pgy = p[:, :, label].sum(axis=0)
            keep = pgy > 0
            if np.count_nonzero(keep) < np.count_nonzero(p.sum(axis=(0, 2))):
                warnings.warn(
                    "Some protected groups have no sample of one class; their "
                    f"{'true' if label else 'false'}-positive rate is undefined and left out "
                    "of the equalized-odds constraint.", RuntimeWarning, stacklevel=4)
            if np.count_nonzero(keep) >= 2:
                families.append((p[:, keep, label] / pgy[keep]).T)
        return families

    def _build_lp(self):
        families = self._rate_families()
        nc = self.p.shape[0]
        nf = len(families)
        nv = nc + 2 * nf  # t, then (lo_k, hi_k) per family
        rows, rhs, self.eps_rows = [], [], []
        for k, R in enumerate(families):
            lo, hi = nc + 2 * k, nc + 2 * k + 1
            for r in R:
                row = np.zeros(nv)
                row[:nc], row[hi] = r, -1.0  # r_g - hi <= 0
                rows.append(row)
                rhs.append(0.0)
                row = np.zeros(nv)
                row[:nc], row[lo] = -r, 1.0  # lo - r_g <= 0
                rows.append(row)
                rhs.append(0.0)
            row = np.zeros(nv)
            row[hi], row[lo] = 1.0, -1.0  # hi - lo <= eps
            self.eps_rows.append(len(rows))
            rows.append(row)
            rhs.append(0.0)
        self.A_ub = np.array(rows) if rows else None
        self.b_ub = np.array(rhs)
        self.families = families
        self.cost = np.concatenate([-self.gain, np.zeros(2 * nf)])
        self.bounds = [(0.0, 1.0)] * nv

    def disparity(self, t):
        """The constraint's measure of the randomized classifier ``t``."""
        if self.constraint == "mutual_information":
            q = np.stack([self.p.sum(axis=2).T @ (1 - t), self.p.sum(axis=2).T @ t], axis=1)
            return mutual_information(q)
        return max((float(np.ptp(R @ t)) for R in self.families), default=0.0)

    def solve(self, eps):
        try:
            eps = float(eps)
        except (TypeError, ValueError):
            raise TypeError(f"eps must be a number, got {eps!r}.") from None
        if math.isnan(eps) or eps < 0:
            raise ValueError(f"eps must be a non-negative number, got {eps}.")
        t, status, (disparity,) = check_solution(
            lambda bounds: self._solve_once(bounds[0]), lambda t: (self.disparity(t),), (eps,),
            what=f"{self.constraint} limit", stacklevel=4)
        accuracy = self.base + float(self.gain @ t)
        return FairnessLimit(accuracy=min(accuracy, 1.0), eps=eps, constraint=self.constraint,
                             disparity=disparity, decision=t, cells=self.cell_labels,
                             pos_label=self.pos_label, status=status)

    def _solve_once(self, eps):
        """``(decision, solver status)`` for the bound ``eps``, not yet checked."""
        if self.constraint == "mutual_information" and eps > _TINY_BITS:
            return self.program.solve(eps)
        from scipy.optimize import linprog

        b = self.b_ub.copy()
        b[self.eps_rows] = 0.0 if self.constraint == "mutual_information" else min(eps, 1.0)
        out = linprog(self.cost, A_ub=self.A_ub, b_ub=b if self.A_ub is not None else None,
                      bounds=self.bounds, method="highs")
        if out.status != 0:
            raise RuntimeError(f"The fairness-limit LP failed: {out.message}")
        return np.clip(out.x[: self.p.shape[0]], 0.0, 1.0), "optimal"


class _MutualInformationProgram:
    """``max accuracy`` s.t. ``I(Z;Yhat) <= eps`` bits over decisions ``t[c]``, compiled once.

    ``p[c, g, (neg, pos)]`` is the joint of cells, groups and labels, ``gain[c]`` the accuracy
    gained by predicting positive in cell ``c``. Cells with proportional ``p[c]`` are merged
    (exact: everything depends on them only through summed masses); ``solve(eps)`` re-uses the
    compiled problem (DPP) and returns one decision per original cell.
    """

    def __init__(self, p, gain, solver):
        import cvxpy as cp

        n_cells = p.shape[0]
        mass = p.sum(axis=2)  # P(c, g)
        total = mass.sum(axis=1)
        self.support = support = np.flatnonzero(total > 0)
        profile = p[support].reshape(len(support), -1) / total[support, None]
        _, self.merged = np.unique(np.round(profile, 12), axis=0, return_inverse=True)
        self.merged = self.merged.ravel()
        m = int(self.merged.max()) + 1
        pg = p.sum(axis=(0, 2))
        keep = pg > 0
        k = float(np.count_nonzero(keep))  # the joint masses q(z, yhat) scaled to O(1)
        P = np.zeros((m, p.shape[1]))
        np.add.at(P, self.merged, mass[support])
        P = k * P[:, keep]
        pg = k * pg[keep]
        g = np.bincount(self.merged, weights=gain[support], minlength=m)
        self.n_cells, self.n_merged, self.k = n_cells, m, k

        self.t = t = cp.Variable(m)
        self.eps = cp.Parameter(nonneg=True, name="eps_nats_scaled")
        # the cones see only the few scaled joint masses q1[z] = k P(z, Yhat = pos), tied to
        # the decisions by linear equalities (the cone rows stay small and O(1))
        q1 = cp.Variable(len(pg), name="q_pos")
        share = cp.sum(q1) / k  # P(Yhat = pos)
        info = (cp.sum(cp.rel_entr(q1, pg * share))
                + cp.sum(cp.rel_entr(pg - q1, pg - pg * share)))
        scale = float(np.abs(g).sum()) or 1.0
        self.problem = cp.Problem(cp.Maximize(g @ t / scale),
                                  [t >= 0, t <= 1, q1 == P.T @ t, info <= self.eps])
        self.loose = k * (float(np.log(k)) + 1.0)  # I(Z;Yhat) <= H(Z) <= ln k nats
        self.solver = solver

    def solve(self, eps):
        import cvxpy as cp

        from ._info import LN2, solve

        self.eps.value = min(self.k * eps * LN2, self.loose)
        if self.solver is not None:
            status = solve(self.problem, self.solver, what="mutual-information fairness limit")
        else:
            # Clarabel's interior point sometimes stalls just short of its gap tolerance on
            # these degenerate problems ("optimal_inaccurate"); each attempt takes ~0.1 s for
            # 5,000 cells, so a few settings are tried before SCS (the result is checked by
            # the caller in any case)
            best = None
            for opts in _CLARABEL_ATTEMPTS:
                try:
                    with warnings.catch_warnings():
                        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                        self.problem.solve(solver="CLARABEL", **opts)
                except cp.error.SolverError:
                    continue
                if self.problem.status == "optimal":
                    best = None
                    break
                if self.problem.status == "optimal_inaccurate" and best is None:
                    best = self.t.value.copy()
            if self.problem.status == "optimal":
                status = "optimal"
            elif best is not None:
                self.t.value, status = best, "optimal_inaccurate"
            else:
                status = solve(self.problem, "SCS", what="mutual-information fairness limit")
        merged = np.clip(np.asarray(self.t.value, dtype=np.float64), 0.0, 1.0)
        t = np.full(self.n_cells, 0.5)  # cells without mass: any decision is optimal
        t[self.support] = merged[self.merged]
        return t, status


#: Clarabel settings tried in turn by the mutual-information limit (first "optimal" wins).
_CLARABEL_ATTEMPTS = (
    dict(tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9, max_iter=500),
    dict(tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9, max_iter=500,
         equilibrate_enable=False),
    dict(tol_gap_abs=1e-7, tol_gap_rel=1e-7, tol_feas=1e-8, max_iter=500),
)


def fairness_limit(cells, z, y, *, constraint="demographic_parity", eps=0.0, pos_label=None,
                   sample_weight=None, solver=None):
    """Best accuracy of any randomized classifier of ``cells`` under a fairness bound.

    The classifier sees only the cell of each sample (e.g. a quantized score of a fitted model,
    optionally with the protected attribute as a second column) and may randomize. Its best
    accuracy under demographic-parity difference ``<= eps`` or equalized-odds difference
    ``<= eps`` (fairlearn's "between groups" definitions) is a linear program solved with
    HiGHS; under mutual information ``I(Z;Yhat) <= eps`` bits it is an exponential-cone program
    (Clarabel). This is the "limit" curve of accuracy-vs-fairness frontier figures.

    Parameters
    ----------
    cells : array-like of shape (n_samples,) or (n_samples, k)
        Discrete representation of the features (hashable labels; rows of a 2-D array are
        tuples). Use :func:`quantile_cells` to discretize continuous scores.
    z : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Protected attribute (several columns = intersectional groups); at least two groups.
    y : array-like of shape (n_samples,)
        Binary labels.
    constraint : {"demographic_parity", "equalized_odds", "mutual_information"}
    eps : float, default=0.0
        The bound: a difference of rates in [0, 1], or bits for mutual information.
    pos_label : label, optional
        The positive ("selected") class; default the larger of the two labels.
    sample_weight : array-like of shape (n_samples,), optional
    solver : str, optional
        cvxpy solver for ``"mutual_information"``.

    Returns
    -------
    FairnessLimit

    Notes
    -----
    The limit is computed on the distribution it is given (in-sample): on a test set, it bounds
    every post-processing of the cells evaluated on that test set. With equalized odds, a group
    that has no sample of one class has an undefined rate and is left out of that class's
    constraint (a warning says so).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import fairness_limit
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, 2000)
    >>> score = rng.random(2000) + 0.3 * z
    >>> y = (rng.random(2000) < score / 1.3).astype(int)
    >>> cells = np.column_stack([np.digitize(score, [0.4, 0.8, 1.2]), z])
    >>> free = fairness_limit(cells, z, y, eps=1.0)
    >>> fair = fairness_limit(cells, z, y, eps=0.0)
    >>> bool(fair.accuracy <= free.accuracy), round(fair.disparity, 9)
    (True, 0.0)
    """
    return _Limit(cells, z, y, constraint, pos_label, sample_weight, solver).solve(eps)


def fairness_limit_curve(cells, z, y, *, constraint="demographic_parity", eps_grid=None,
                         n_points=21, pos_label=None, sample_weight=None, solver=None):
    """The fairness limit over a grid of bounds: the "limit" curve of a frontier figure.

    Parameters
    ----------
    cells, z, y, constraint, pos_label, sample_weight, solver
        As in :func:`fairness_limit`.
    eps_grid : array-like of float, optional
        Bounds; default ``n_points`` values from 0 to the disparity of the unconstrained
        optimum (beyond it the curve is flat).
    n_points : int, default=21

    Returns
    -------
    curve : pandas.DataFrame
        Columns ``eps``, ``accuracy``, ``disparity`` (achieved), ``constraint``, ``status``;
        sorted by ``eps``. To draw it on an accuracy-vs-DP figure:
        ``ax.plot(curve["disparity"], curve["accuracy"], "k--", label="limit")``.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import fairness_limit_curve
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 2, 1000)
    >>> y = (rng.random(1000) < 0.3 + 0.3 * z).astype(int)
    >>> curve = fairness_limit_curve(z, z, y, eps_grid=[0.0, 0.1, 0.2, 0.3])
    >>> curve[["eps", "accuracy"]].round(3).values.tolist()
    [[0.0, 0.545], [0.1, 0.558], [0.2, 0.57], [0.3, 0.583]]
    """
    problem = _Limit(cells, z, y, constraint, pos_label, sample_weight, solver)
    if eps_grid is None:
        if int(n_points) != n_points or n_points < 2:
            raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}.")
        top = problem.solve(np.inf if constraint == "mutual_information" else 1.0).disparity
        eps_grid = np.linspace(0.0, top, int(n_points))
    eps_grid = np.sort(np.atleast_1d(np.asarray(eps_grid, dtype=np.float64)))
    if eps_grid.size == 0:
        raise ValueError("eps_grid must not be empty.")
    rows = []
    for eps in eps_grid:
        res = problem.solve(eps)
        rows.append(dict(eps=float(eps), accuracy=res.accuracy, disparity=res.disparity,
                         constraint=constraint, status=res.status))
    return pd.DataFrame(rows)
