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
constraint ``I(Z;Yhat) <= eps`` is the exponential-cone program of :func:`aglfop` with one client.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._info import empirical_joint, encode_labels, mutual_information

__all__ = ["FairnessLimit", "fairness_limit", "fairness_limit_curve", "quantile_cells"]

CONSTRAINTS = ("demographic_parity", "equalized_odds", "mutual_information")


@dataclass(frozen=True)
class FairnessLimit:
    """The best randomized classifier of a set of cells under a fairness constraint.

    Attributes
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
        Solver status.
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
        try:
            n = len(y)
        except TypeError:
            raise TypeError(f"y must be array-like, got {type(y).__name__}.") from None
        if n == 0:
            raise ValueError("cells, z and y must not be empty.")
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
            from ._aglfop import _AGLFOPProgram

            # cells x, protected z, a single client, label y; Yhat order (negative, positive)
            self.program = _AGLFOPProgram(p[:, :, None, :], solver)
        else:
            self._build_lp()

    # -- linear program ------------------------------------------------------------------
    def _rate_families(self):
        p = self.p
        if self.constraint == "demographic_parity":
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
        if self.constraint == "mutual_information":
            channel, status, acc, i_g, _ = self.program.solve(eps, np.inf)
            t = channel[:, 1]
        else:
            from scipy.optimize import linprog

            b = self.b_ub.copy()
            b[self.eps_rows] = min(eps, 1.0)
            out = linprog(self.cost, A_ub=self.A_ub, b_ub=b if self.A_ub is not None else None,
                          bounds=self.bounds, method="highs")
            if out.status != 0:
                raise RuntimeError(f"The fairness-limit LP failed: {out.message}")
            t = np.clip(out.x[: self.p.shape[0]], 0.0, 1.0)
            status = "optimal"
        accuracy = self.base + float(self.gain @ t)
        return FairnessLimit(accuracy=min(accuracy, 1.0), eps=eps, constraint=self.constraint,
                             disparity=self.disparity(t), decision=t, cells=self.cell_labels,
                             pos_label=self.pos_label, status=status)


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
