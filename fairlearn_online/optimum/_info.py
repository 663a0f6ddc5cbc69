"""Discrete information measures, label encoding and the shared cvxpy solve helper.

Everything here is in bits. Distributions are numpy arrays of non-negative numbers summing to 1;
``0 log 0 = 0``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..base import GroupEncoder, check_sensitive_features

__all__ = [
    "entropy",
    "mutual_information",
    "conditional_mutual_information",
    "encode_labels",
    "empirical_joint",
    "check_joint",
]

LN2 = math.log(2.0)

#: Tolerance on ``sum(p) == 1`` for user-supplied joint distributions.
SUM_TOL = 1e-6


def _plogp_ratio(p, q):
    """``sum p log2(p / q)`` over the cells where ``p > 0`` (``q > 0`` there by construction)."""
    p = np.asarray(p, dtype=np.float64).ravel()
    q = np.asarray(q, dtype=np.float64).ravel()
    mask = p > 0
    return float(np.sum(p[mask] * (np.log(p[mask]) - np.log(q[mask]))) / LN2)


def entropy(p):
    """Shannon entropy ``H = -sum p log2 p`` of a distribution (any shape), in bits.

    Parameters
    ----------
    p : array-like
        Probabilities (non-negative, summing to 1); zeros contribute nothing.

    Returns
    -------
    float

    Examples
    --------
    >>> from fairlearn_online.optimum import entropy
    >>> entropy([0.5, 0.5])
    1.0
    """
    p = np.asarray(p, dtype=np.float64).ravel()
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)) / LN2)


def mutual_information(p_xy):
    """Mutual information ``I(X;Y)`` of a 2-D joint ``p[x, y]``, in bits.

    ``I(X;Y) = sum_{x,y} p(x,y) log2 [p(x,y) / (p(x) p(y))]``.

    Parameters
    ----------
    p_xy : array-like of shape (n_x, n_y)
        A joint distribution (non-negative, summing to 1).

    Returns
    -------
    float
        ``I(X;Y)`` in bits, never negative (a rounding error below 0 gives 0).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import mutual_information
    >>> mutual_information(np.eye(2) / 2)
    1.0
    """
    p = np.asarray(p_xy, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"p_xy must be 2-D, got shape {p.shape}.")
    px = p.sum(axis=1, keepdims=True)
    py = p.sum(axis=0, keepdims=True)
    return max(_plogp_ratio(p, px * py), 0.0)


def conditional_mutual_information(p_xyc):
    """Conditional mutual information ``I(X;Y|C)`` of a 3-D joint ``p[x, y, c]``, in bits.

    ``I(X;Y|C) = sum_c p(c) I(X;Y | C=c) = sum p(x,y,c) log2 [p(x,y,c) p(c) / (p(x,c) p(y,c))]``.

    Parameters
    ----------
    p_xyc : array-like of shape (n_x, n_y, n_c)
        A joint distribution (non-negative, summing to 1).

    Returns
    -------
    float
        ``I(X;Y|C)`` in bits, never negative (a rounding error below 0 gives 0).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.optimum import conditional_mutual_information
    >>> p = np.zeros((2, 2, 2))
    >>> for y in (0, 1):
    ...     for c in (0, 1):
    ...         p[y ^ c, y, c] = 0.25          # X = Y xor C
    >>> round(conditional_mutual_information(p), 12)
    1.0
    """
    p = np.asarray(p_xyc, dtype=np.float64)
    if p.ndim != 3:
        raise ValueError(f"p_xyc must be 3-D, got shape {p.shape}.")
    pc = p.sum(axis=(0, 1), keepdims=True)
    pxc = p.sum(axis=1, keepdims=True)
    pyc = p.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = pxc * pyc / np.where(pc > 0, pc, 1.0)
    return max(_plogp_ratio(p, ref), 0.0)


# ------------------------------------------------------------------------------------------
# input handling
# ------------------------------------------------------------------------------------------
def sample_count(values, *, name, empty_message=None):
    """Number of samples in ``values``, which must be array-like.

    Parameters
    ----------
    values : array-like
    name : str
        The argument's name, for the ``TypeError`` when ``values`` has no length.
    empty_message : str, default=None
        When given, an empty ``values`` raises a ``ValueError`` with this message.

    Returns
    -------
    n_samples : int
    """
    try:
        n_samples = len(values)
    except TypeError:
        raise TypeError(f"{name} must be array-like, got {type(values).__name__}.") from None
    if empty_message is not None and n_samples == 0:
        raise ValueError(empty_message)
    return n_samples


def encode_labels(values, n_samples=None, *, name):
    """Integer codes and the sorted-by-appearance labels of a 1-D or 2-D label array.

    A 2-D input (one column per attribute) is encoded by rows' tuples, as fairlearn does for
    intersectional groups. Missing or infinite labels raise a ``ValueError`` naming ``name``.
    """
    if n_samples is None:
        n_samples = sample_count(values, name=name)
    arr, _ = check_sensitive_features(values, n_samples, name=name)
    encoder = GroupEncoder()  # the groups' one rule: the label, or the row's tuple
    codes = encoder.encode(arr, update=True)  # no columns: no many-groups warning for labels
    uniques = encoder.groups_
    try:  # sorted labels read better in tables; fall back to appearance order
        order = np.array(sorted(range(len(uniques)), key=lambda i: uniques[i]), dtype=np.int64)
        labels = [uniques[i] for i in order]
        remap = np.empty(len(order), dtype=np.int64)
        remap[order] = np.arange(len(order))
        codes = remap[codes]
    except TypeError:
        labels = list(uniques)
    return np.asarray(codes, dtype=np.int64), labels


def empirical_joint(*codes, shape, sample_weight=None):
    """Joint distribution of integer-coded variables: ``p[c1, c2, ...]`` (weights normalized)."""
    n = len(codes[0])
    if sample_weight is None:
        w = np.ones(n)
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}.")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
        if w.sum() <= 0:
            raise ValueError("sample_weight must have a positive sum.")
    flat = np.ravel_multi_index(tuple(codes), shape)
    p = np.bincount(flat, weights=w, minlength=int(np.prod(shape))).reshape(shape)
    return p / p.sum()


def check_joint(p, *, name, ndim, sum_tol=SUM_TOL):
    """Validate a joint probability array: finite, non-negative, ``ndim`` axes, sums to 1.

    Returns a float64 copy renormalized to sum exactly to 1.
    """
    try:
        arr = np.array(p, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array: {exc}") from exc
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {arr.shape}.")
    if arr.size == 0 or 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries.")
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative entries (min {arr.min():.3g}); it must be a "
                         "probability distribution.")
    total = arr.sum()
    if abs(total - 1.0) > sum_tol:
        raise ValueError(f"{name} must sum to 1 (got {total:.10g}); divide by its sum if it "
                         "holds counts.")
    positive = arr[arr > 0]
    if positive.size and positive.min() < 1e-12:
        warnings.warn(
            f"{name} has entries as small as {positive.min():.3g}; cells below 1e-12 are badly "
            "scaled for the conic solver and are treated as 0.", RuntimeWarning, stacklevel=3)
        arr[arr < 1e-12] = 0.0
    return arr / arr.sum()


# ------------------------------------------------------------------------------------------
# solving
# ------------------------------------------------------------------------------------------
#: Tight interior-point tolerances: the PID must be exact to ~1e-7 bits.
CLARABEL_OPTS = dict(tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, tol_ktratio=1e-8,
                     max_iter=500)
SCS_OPTS = dict(eps_abs=1e-9, eps_rel=1e-9, max_iters=200_000)
_ACCEPTED = ("optimal", "optimal_inaccurate")


def solve(problem, solver=None, *, what="problem"):
    """Solve a cvxpy problem with Clarabel (SCS as fallback); raise a clear error on failure.

    Returns the cvxpy status string (``"optimal"`` or ``"optimal_inaccurate"``).
    """
    import cvxpy as cp

    solvers = [solver] if solver is not None else ["CLARABEL", "SCS"]
    errors = []
    for name in solvers:
        opts = {"CLARABEL": CLARABEL_OPTS, "SCS": SCS_OPTS}.get(str(name).upper(), {})
        try:
            with warnings.catch_warnings():  # "may be inaccurate": reported through the status
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                problem.solve(solver=name, **opts)
        except cp.error.SolverError as exc:
            errors.append(f"{name}: {exc}")
            continue
        if problem.status in _ACCEPTED:
            return problem.status
        errors.append(f"{name}: status {problem.status}")
    raise RuntimeError(f"The {what} could not be solved ({'; '.join(errors)}). Check that the "
                       "distribution is well scaled (no huge dynamic range of probabilities).")
