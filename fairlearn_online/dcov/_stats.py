"""Distance covariance, distance correlation, JdCov and CCdCov with gradients.

Formulas: ``docs/user_guide/dcov.md`` ("Algorithm").

Notation: ``a_kl = |x_k - x_l|`` (Euclidean distance of rows), ``b_kl`` the same for ``y``;
``alpha_k, r_k`` their row sums, ``T_a, T_b`` their totals and ``P = sum_{k,l} a_kl b_kl``.
Because U-centring (and double centring) is an orthogonal projection (Szekely & Rizzo 2014),
``sum_{k != l} A~_kl B~_kl = sum_{k != l} a_kl B~_kl``, hence

* U-statistic (docs/user_guide/dcov.md):
  ``dCov2_U = [P - 2/(n-2) sum_k alpha_k r_k + T_a T_b / ((n-1)(n-2))] / (n (n-3))``;
* V-statistic: ``dCov2_V = [P - 2/n sum_k alpha_k r_k + T_a T_b / n^2] / n^2``;
* gradient with respect to a 1-D ``x`` (docs/user_guide/dcov.md):
  ``d dCov2_U / d x_k = 2/(n(n-3)) sum_j sign(x_k - x_j) B~_kj
  = 2/(n(n-3)) [h_k - sigma_k r_k/(n-2) - rho_k/(n-2) + sigma_k T_b/((n-1)(n-2))]``
  with ``h_k = sum_j sign(x_k - x_j) b_kj``, ``sigma_k = sum_j sign(x_k - x_j)``,
  ``rho_k = sum_j sign(x_k - x_j) r_j`` (``n`` in place of ``n-1, n-2`` for the V-statistic).
  At ties ``sign(0) = 0`` is used (a subgradient).

These sums come from the kernels of :mod:`._kernels`, chosen automatically (see
:func:`_pair_terms`).
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from .._core.docstrings import fill_doc
from .._core.groups import encode_typed_attributes
from . import _kernels as K

__all__ = [
    "distance_covariance",
    "distance_covariance_grad",
    "distance_correlation",
    "distance_correlation_grad",
    "joint_distance_covariance",
    "joint_distance_covariance_grad",
    "concatenated_distance_covariance",
    "concatenated_distance_covariance_grad",
    "encode_sensitive_features",
]

#: A second variable with at most this many distinct rows (and fewer than n / 2) goes to the
#: cell sweep ``O(n log n + n * cells)``; ``D`` then needs ``cells^2`` floats.
MAX_CELLS = 2048
#: Below this many distinct values a 1-D ``y`` uses the cell sweep instead of the Fenwick tree.
SMALL_CELLS = 64
#: the Returns section of every statistic that comes with its gradient
VALUE_AND_GRADIENT_DOC = """
Returns
-------
value : float
grad : ndarray of shape (n_samples,)
    The derivative of ``value`` with respect to each prediction.
"""


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------
def _as_2d_float(x, name):
    if isinstance(x, (pd.DataFrame, pd.Series)):
        x = x.to_numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got {arr.ndim} dimensions.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no column.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.ascontiguousarray(arr)


def _check_n(n, unbiased, what="the statistic"):
    if unbiased and n < 4:
        raise ValueError(f"The unbiased (U) {what} needs at least 4 samples, got {n}.")
    if n < 1:
        raise ValueError(f"{what} needs at least 1 sample, got {n}.")


def _as_1d(x, name):
    arr = _as_2d_float(x, name)
    if arr.shape[1] != 1:
        raise ValueError(
            f"{name} must be 1-D for the gradient (the predictions), got shape {arr.shape}.")
    return np.ascontiguousarray(arr[:, 0])


def _same_n(x, y, xname="x", yname="y"):
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{xname} has {x.shape[0]} samples but {yname} has {y.shape[0]}.")


# ------------------------------------------------------------------------------------------
# the pair sums, chosen automatically
# ------------------------------------------------------------------------------------------
def _unique_rows(Y):
    """Distinct rows of ``Y`` and the cell index of every sample."""
    if Y.shape[1] == 1:
        values, inverse = np.unique(Y[:, 0], return_inverse=True)
        return values.reshape(-1, 1), inverse.astype(np.int64)
    values, inverse = np.unique(Y, axis=0, return_inverse=True)
    return values, inverse.reshape(-1).astype(np.int64)


def _cell_distances(values):
    diff = values[:, None, :] - values[None, :, :]
    return np.sqrt((diff * diff).sum(axis=2))


def _sort(x):
    return np.argsort(x).astype(np.int64)  # ties are handled as blocks: any order


def _pair_terms(x2d, Y, need_grad, *, cells=None, D=None):
    """Sums ``(P, alpha, r, h, sigma, rho, order)`` for ``a`` from ``x2d`` and ``b`` from ``Y``.

    ``order`` is ``None`` when the per-sample sums are in sample order, else the permutation
    they follow (the cell sweep returns them in sorted order of ``x``).

    Path (exact in all cases):

    * ``cells``/``D`` given, or ``x`` 1-D and ``Y`` with few distinct rows: cell sweep;
    * ``x`` and ``Y`` 1-D: Fenwick tree, ``O(n log n)``;
    * otherwise: loop over pairs, ``O(n^2)`` time, ``O(n)`` memory.

    ``x2d`` is centred by the caller when 1-D. For ``need_grad`` ``x2d`` must have one column.
    """
    n = x2d.shape[0]
    one_d = x2d.shape[1] == 1
    if cells is None and one_d:
        limit = SMALL_CELLS if Y.shape[1] == 1 else min(MAX_CELLS, max(n // 2, 1))
        # cheap pre-check on a prefix before sorting the whole of Y
        probe = Y[: min(n, 4 * limit + 1)]
        if len(np.unique(probe, axis=0)) <= limit:
            values, inverse = _unique_rows(Y)
            if len(values) <= limit:
                cells, D = inverse, _cell_distances(values)
    if cells is not None:
        x = np.ascontiguousarray(x2d[:, 0])
        order = _sort(x)
        P, alpha, r, h, sigma, rho = K.cells_terms(x[order], cells[order],
                                                  np.ascontiguousarray(D), need_grad)
        return P, alpha, r, h, sigma, rho, order
    if one_d and Y.shape[1] == 1:
        x = np.ascontiguousarray(x2d[:, 0])
        y = Y[:, 0] - np.mean(Y[:, 0])
        order = _sort(x)
        y_order = _sort(y)
        alpha = K.abs_row_sums(x, order)
        r = K.abs_row_sums(y, y_order)
        _, yrank = np.unique(y, return_inverse=True)
        yrank = yrank.reshape(-1).astype(np.int64)
        P, h = K.fenwick_terms(x, y, order, yrank, int(yrank.max()) + 1 if n else 0, r, need_grad)
        sigma = rho = None
        if need_grad:
            sigma = K.sign_weighted_sums(x, order, np.ones(n))
            rho = K.sign_weighted_sums(x, order, r)
        return P, alpha, r, h, sigma, rho, None
    P, alpha, r, h = K.pairs_terms(x2d, Y, need_grad)
    sigma = rho = None
    if need_grad:
        x = np.ascontiguousarray(x2d[:, 0])
        order = _sort(x)
        sigma = K.sign_weighted_sums(x, order, np.ones(n))
        rho = K.sign_weighted_sums(x, order, r)
    return P, alpha, r, h, sigma, rho, None


def _assemble(n, P, alpha, r, unbiased):
    Ta = float(alpha.sum())
    Tb = float(r.sum())
    ar = float(np.dot(alpha, r))
    if unbiased:
        return (P - 2.0 * ar / (n - 2) + Ta * Tb / ((n - 1) * (n - 2))) / (n * (n - 3))
    return (P - 2.0 * ar / n + Ta * Tb / (n * n)) / (n * n)


def _assemble_grad(n, r, h, sigma, rho, unbiased):
    Tb = float(r.sum())
    if unbiased:
        inner = h - (sigma * r + rho) / (n - 2) + sigma * (Tb / ((n - 1) * (n - 2)))
        return 2.0 / (n * (n - 3)) * inner
    inner = h - (sigma * r + rho) / n + sigma * (Tb / (n * n))
    return 2.0 / (n * n) * inner


def _dcov(x2d, Y, *, unbiased, need_grad, cells=None, D=None):
    n = x2d.shape[0]
    if x2d.shape[1] == 1:
        x2d = x2d - np.mean(x2d)  # shift invariance; improves the rounding of the sweeps
    elif Y.shape[1] == 1 and not need_grad and cells is None:
        x2d, Y = Y - np.mean(Y), x2d  # dCov is symmetric: put the 1-D variable first
    P, alpha, r, h, sigma, rho, order = _pair_terms(x2d, Y, need_grad, cells=cells, D=D)
    value = float(_assemble(n, P, alpha, r, unbiased))  # order-free sums
    if not need_grad:
        return value, None
    grad = _assemble_grad(n, r, h, sigma, rho, unbiased)
    if order is not None:
        out = np.empty_like(grad)
        out[order] = grad
        grad = out
    return value, grad


# ------------------------------------------------------------------------------------------
# distance covariance and correlation
# ------------------------------------------------------------------------------------------
def distance_covariance(x, y, *, unbiased=True):
    """Squared distance covariance of two samples (U- or V-statistic).

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, p)
    y : array-like of shape (n_samples,) or (n_samples, q)
    unbiased : bool, default=True
        ``True``: the U-statistic ``sum_{k != l} A~_kl B~_kl / (n (n - 3))`` of U-centred
        distance matrices (needs ``n >= 4``; can be negative). ``False``: the V-statistic
        ``mean(A * B)`` of double-centred matrices.

    Returns
    -------
    dcov2 : float
        Equal to ``dcor.u_distance_covariance_sqr`` / ``dcor.distance_covariance_sqr``.

    Notes
    -----
    No ``n x n`` matrix is built. Path chosen automatically: 1-D ``x`` (or ``y``) against a
    variable with few distinct rows -> cell sweep ``O(n log n + n * cells)``; 1-D vs 1-D ->
    ``O(n log n)``; otherwise ``O(n^2)`` time and ``O(n)`` memory.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import distance_covariance
    >>> a = np.arange(1.0, 17.0).reshape(4, 4)
    >>> b = np.array([[1.0], [0.0], [0.0], [1.0]])
    >>> float(distance_covariance(a, b, unbiased=False))
    1.0
    >>> round(float(distance_covariance(a, b)), 4)
    -2.6667
    """
    X = _as_2d_float(x, "x")
    Y = _as_2d_float(y, "y")
    _same_n(X, Y)
    _check_n(X.shape[0], unbiased)
    return _dcov(X, Y, unbiased=unbiased, need_grad=False)[0]


def distance_covariance_grad(x, y, *, unbiased=True):
    """Squared distance covariance and its gradient with respect to a 1-D ``x``.

    ``d dCov2_U / d x_k = 2 / (n (n - 3)) * sum_j sign(x_k - x_j) B~_kj`` (docs/user_guide/dcov.md;
    ``n^2`` and the double-centred ``B`` for the V-statistic). At tied values ``sign(0) = 0``
    (a subgradient).

    Parameters
    ----------
    x : array-like of shape (n_samples,)
        The predictions.
    y : array-like of shape (n_samples,) or (n_samples, q)
    unbiased : bool, default=True

    Returns
    -------
    value : float
        Same as :func:`distance_covariance`.
    grad : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import distance_covariance_grad
    >>> value, grad = distance_covariance_grad([0.1, 0.4, 0.35, 0.8, 0.2], [0, 1, 1, 1, 0])
    >>> grad.shape
    (5,)
    """
    x1 = _as_1d(x, "x")
    Y = _as_2d_float(y, "y")
    _same_n(x1.reshape(-1, 1), Y)
    _check_n(len(x1), unbiased)
    return _dcov(x1.reshape(-1, 1), Y, unbiased=unbiased, need_grad=True)


def _correlation_from(cxy, vx, vy, unbiased):
    den = np.sqrt(abs(vx)) * np.sqrt(abs(vy))  # not sqrt(vx * vy): the product can underflow
    r2 = 0.0 if den == 0.0 else cxy / den
    return r2 if unbiased else float(np.sqrt(max(r2, 0.0)))


def distance_correlation(x, y, *, unbiased=False):
    """Distance correlation (V) or bias-corrected squared distance correlation (U).

    Parameters
    ----------
    x : array-like of shape (n_samples,) or (n_samples, p)
    y : array-like of shape (n_samples,) or (n_samples, q)
    unbiased : bool, default=False
        ``False``: ``dCor = sqrt(dCov2_V(x, y) / sqrt(dCov2_V(x, x) dCov2_V(y, y)))`` in [0, 1],
        as ``dcor.distance_correlation``. ``True``: the bias-corrected **squared** distance
        correlation ``dCov2_U(x, y) / sqrt(|dCov2_U(x, x) dCov2_U(y, y)|)`` as
        ``dcor.u_distance_correlation_sqr``; it can be negative, so it has no square root.
        A zero denominator (a constant variable) gives 0.

    Returns
    -------
    dcor : float

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import distance_correlation
    >>> a = np.arange(1.0, 17.0).reshape(4, 4)
    >>> b = np.array([[1.0], [0.0], [0.0], [1.0]])
    >>> round(distance_correlation(a, b), 6)
    0.52664
    """
    X = _as_2d_float(x, "x")
    Y = _as_2d_float(y, "y")
    _same_n(X, Y)
    _check_n(X.shape[0], unbiased)
    cxy = _dcov(X, Y, unbiased=unbiased, need_grad=False)[0]
    vx = _dcov(X, X, unbiased=unbiased, need_grad=False)[0]
    vy = _dcov(Y, Y, unbiased=unbiased, need_grad=False)[0]
    return _correlation_from(cxy, vx, vy, unbiased)


@fill_doc(value_and_gradient=VALUE_AND_GRADIENT_DOC)
def distance_correlation_grad(x, y, *, unbiased=False):
    """Distance correlation (as :func:`distance_correlation`) and its gradient w.r.t. a 1-D ``x``.

    With ``R2 = C / sqrt(Vx Vy)`` (``C = dCov2(x, y)``, ``Vx = dCov2(x, x)``):
    ``dR2 = dC / sqrt(Vx Vy) - R2 dVx / (2 Vx)`` where ``dVx = 2 * d dCov2(x, x_fixed)``;
    for ``unbiased=False`` the result is ``R = sqrt(R2)`` and ``dR = dR2 / (2 R)``. The gradient
    is 0 where the correlation is 0 or a variable is constant (not differentiable there).

    Parameters
    ----------
    x : array-like of shape (n_samples,)
    y : array-like of shape (n_samples,) or (n_samples, q)
    unbiased : bool, default=False

    %(value_and_gradient)s

    Examples
    --------
    >>> from fairlearn_online.dcov import distance_correlation_grad
    >>> value, grad = distance_correlation_grad([0.1, 0.4, 0.35, 0.8, 0.2], [0, 1, 1, 1, 0])
    >>> round(value, 4)
    0.8017
    """
    x1 = _as_1d(x, "x")
    X = x1.reshape(-1, 1)
    Y = _as_2d_float(y, "y")
    _same_n(X, Y)
    n = X.shape[0]
    _check_n(n, unbiased)
    cxy, dc = _dcov(X, Y, unbiased=unbiased, need_grad=True)
    vx, dvx = _dcov(X, X, unbiased=unbiased, need_grad=True)
    dvx = 2.0 * dvx  # both arguments depend on x
    vy = _dcov(Y, Y, unbiased=unbiased, need_grad=False)[0]
    den = np.sqrt(abs(vx)) * np.sqrt(abs(vy))  # not sqrt(vx * vy): the product can underflow
    if den == 0.0:
        return 0.0, np.zeros(n)
    r2 = cxy / den
    dr2 = dc / den - r2 * dvx / (2.0 * vx)
    if unbiased:
        return float(r2), dr2
    if r2 <= 0.0:
        return 0.0, np.zeros(n)
    r = float(np.sqrt(r2))
    return r, dr2 / (2.0 * r)


# ------------------------------------------------------------------------------------------
# joint distance covariance
# ------------------------------------------------------------------------------------------
def _check_variables(variables, name="variables"):
    if isinstance(variables, np.ndarray) or not hasattr(variables, "__len__"):
        raise TypeError(f"{name} must be a list of arrays, one per variable.")
    if len(variables) < 2:
        raise ValueError(f"{name} needs at least 2 variables, got {len(variables)}.")
    arrays = [_as_2d_float(v, f"{name}[{i}]") for i, v in enumerate(variables)]
    for i, arr in enumerate(arrays[1:], start=1):
        _same_n(arrays[0], arr, f"{name}[0]", f"{name}[{i}]")
    return arrays


def _jdcov(arrays, c, need_grad):
    n = arrays[0].shape[0]
    _check_n(n, True, "joint distance covariance")
    if isinstance(c, bool) or not isinstance(c, numbers.Real) or not np.isfinite(c) or c < 0:
        raise ValueError(f"c must be a finite number >= 0, got {c!r}.")
    c = float(c)
    d = len(arrays)
    arrays = [a - a.mean(axis=0) for a in arrays]
    Z = np.ascontiguousarray(np.hstack(arrays))
    offsets = np.cumsum([0] + [a.shape[1] for a in arrays]).astype(np.int64)
    R = K.multi_row_sums(Z, offsets)
    S, rW, hW = K.jdcov_terms(Z, offsets, R, c, need_grad)
    # the diagonal (U = 0) adds n c^d; Chakraborty & Zhang (2019), Section 3.2
    value = (S + n * c ** d) / (n * (n - 3)) - c ** d * n / (n - 3)
    if not need_grad:
        return float(value), None
    x = np.ascontiguousarray(Z[:, 0])
    order = _sort(x)
    sigma = K.sign_weighted_sums(x, order, np.ones(n))
    rho = K.sign_weighted_sums(x, order, rW)
    # sum_{k != l} U^0_kl W_kl = -sum_{k != l} a_kl W~_kl (U-centring is a projection)
    return float(value), -_assemble_grad(n, rW, hW, sigma, rho, True)


def joint_distance_covariance(variables, *, c=1.0):
    """Joint distance covariance JdCov of ``d >= 2`` variables (U-statistic).

    Chakraborty & Zhang (2019, "Distance metrics for measuring joint dependence with application
    to causal inference", Section 3.2)::

        JdCov2 = 1/(n(n-3)) sum_{k,l} prod_i (U^i_kl + c) - c^d n / (n - 3)

    with ``U^i_kl = -A~^i_kl`` (their ``U``-hat is minus the U-centred distance matrix) and
    ``U^i_kk = 0``. The population value is 0 iff the variables are jointly independent. For two
    variables it equals the U-statistic ``dCov2_U`` (:func:`distance_covariance`). Written as a
    sum over ``k != l`` with ``+A~``, the formula differs from the authors' estimator
    by the constant ``c^d / (n - 3)`` and by the sign of the odd-order terms; we follow the
    authors (see ``docs/user_guide/dcov.md``).

    Parameters
    ----------
    variables : list of array-like, each of shape (n_samples,) or (n_samples, p_i)
    c : float, default=1.0
        Weight of the lower-order terms (``c^(d-2)`` multiplies the pairwise dCov's).

    Returns
    -------
    jdcov2 : float

    Notes
    -----
    ``O(n^2 sum_i p_i)`` time, ``O(n d)`` memory (no ``n x n`` matrix).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import joint_distance_covariance, distance_covariance
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=50), rng.normal(size=50)
    >>> bool(np.isclose(joint_distance_covariance([x, y]), distance_covariance(x, y)))
    True
    """
    arrays = _check_variables(variables)
    return _jdcov(arrays, c, False)[0]


@fill_doc(value_and_gradient=VALUE_AND_GRADIENT_DOC)
def joint_distance_covariance_grad(variables, *, c=1.0):
    """JdCov (as :func:`joint_distance_covariance`) and its gradient w.r.t. ``variables[0]``.

    ``variables[0]`` must be 1-D (the predictions). With ``W_kl = prod_{i>=1} (U^i_kl + c)``,
    ``d JdCov2 / d x_k = -2/(n(n-3)) sum_j sign(x_k - x_j) W~_kj`` (``W~`` its U-centring).

    Parameters
    ----------
    variables : sequence of array-like, each of shape (n_samples,) or (n_samples, d_i)
        The predictions first, then the sensitive features.
    c : float, default=1.0
        The constant of JdCov (as in :func:`joint_distance_covariance`).

    %(value_and_gradient)s

    Examples
    --------
    >>> from fairlearn_online.dcov import joint_distance_covariance_grad
    >>> value, grad = joint_distance_covariance_grad(
    ...     [[0.1, 0.4, 0.35, 0.8, 0.2], [0, 1, 1, 1, 0], [1, 1, 0, 0, 1]])
    >>> grad.shape
    (5,)
    """
    arrays = _check_variables(variables)
    if arrays[0].shape[1] != 1:
        raise ValueError(
            f"variables[0] must be 1-D for the gradient, got shape {arrays[0].shape}.")
    return _jdcov(arrays, c, True)


# ------------------------------------------------------------------------------------------
# CCdCov: encoding of multitype sensitive features
# ------------------------------------------------------------------------------------------
def encode_sensitive_features(sensitive_features, *, n_samples=None,
                              name="sensitive_features"):
    """Encode multitype sensitive features for CCdCov/JdCov (docs/user_guide/dcov.md).

    Column kinds are detected per column:

    * **constant** (one distinct value): contributes nothing;
    * **binary** (exactly two distinct values, any dtype): 0/1 (distance 1 between the two);
    * **categorical**: string, object, ``category`` or boolean dtype with more than two values:
      one-hot (distance ``sqrt(2)`` between two different categories);
    * **numeric**: integer or floating values (pandas ``infer_dtype`` integer/floating, also in
      object columns) with more than two values: standardized to mean 0 and variance 1
      (``ddof=0``), computed on the given sample.

    Integer-coded categories are numeric under this rule: pass them as strings or a pandas
    ``category`` column to have them one-hot encoded. The input is checked by the rules of
    every estimator's sensitive features (``fairlearn_online._core.groups``).

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Array, list, pandas Series/DataFrame or dict of columns. No missing values.
    n_samples : int, optional
        Expected number of rows.
    name : str
        Argument name used in errors.

    Returns
    -------
    blocks : list of dict
        One per column: ``name``, ``kind``, ``codes`` (int64 level of each sample, for
        constant/binary/categorical; ``levels`` lists the values), ``values`` (the encoded
        float matrix of that attribute, shape ``(n, width)``; width 0 for constant columns).

    Examples
    --------
    >>> from fairlearn_online.dcov import encode_sensitive_features
    >>> blocks = encode_sensitive_features({"race": ["a", "b", "c", "a"],
    ...                                     "sex": ["F", "M", "M", "F"], "age": [20, 35, 51, 44]})
    >>> [(b["name"], b["kind"], b["values"].shape[1]) for b in blocks]
    [('race', 'categorical', 3), ('sex', 'binary', 1), ('age', 'numeric', 1)]
    """
    return encode_typed_attributes(sensitive_features, n_samples, name=name)


def _cells_of(blocks):
    """Intersectional cells of categorical/binary/constant blocks and their distance matrix."""
    n = len(blocks[0]["codes"])
    key = np.zeros(n, dtype=np.int64)
    sizes = [max(len(b["levels"]), 1) for b in blocks]
    n_keys = np.prod([float(s) for s in sizes])
    if n_keys < 2 ** 62:
        for b, s in zip(blocks, sizes):
            key = key * s + b["codes"]
        if n_keys <= max(4 * n, 1024):  # O(n) relabelling through a table
            present = np.bincount(key, minlength=int(n_keys)) > 0
            uniq = np.flatnonzero(present)
            table = np.cumsum(present) - 1
            cells = table[key]
        else:
            uniq, cells = np.unique(key, return_inverse=True)
        level_of = np.empty((len(uniq), len(blocks)), dtype=np.int64)
        rest = uniq.copy()
        for j in range(len(blocks) - 1, -1, -1):
            level_of[:, j] = rest % sizes[j]
            rest //= sizes[j]
    else:  # pragma: no cover - astronomically many level combinations
        stacked = np.column_stack([b["codes"] for b in blocks])
        level_of, cells = np.unique(stacked, axis=0, return_inverse=True)
    weights = np.array([2.0 if b["kind"] == "categorical" else (1.0 if b["kind"] == "binary"
                        else 0.0) for b in blocks])
    differ = level_of[:, None, :] != level_of[None, :, :]
    D = np.sqrt((differ * weights).sum(axis=2))
    return cells.reshape(-1).astype(np.int64), D


def _ccdcov(yhat, sensitive_features, unbiased, need_grad):
    x = _as_1d(yhat, "yhat")
    n = len(x)
    _check_n(n, unbiased, "CCdCov")
    blocks = encode_typed_attributes(sensitive_features, n, values=False)
    X = x.reshape(-1, 1)
    if all(b["kind"] != "numeric" for b in blocks):
        cells, D = _cells_of(blocks)
        if D.shape[0] <= MAX_CELLS:
            return _dcov(X, None, unbiased=unbiased, need_grad=need_grad, cells=cells, D=D)
    blocks = encode_sensitive_features(sensitive_features, n_samples=n)
    Y = np.hstack([b["values"] for b in blocks])
    if Y.shape[1] == 0:
        Y = np.zeros((n, 1))
    return _dcov(X, np.ascontiguousarray(Y), unbiased=unbiased, need_grad=need_grad)


def concatenated_distance_covariance(yhat, sensitive_features, *, unbiased=True):
    """CCdCov: squared distance covariance of ``yhat`` and the concatenated protected attributes.

    ``CCdCov = dCov2(yhat, [S_1, ..., S_k])`` where every attribute is encoded by
    :func:`encode_sensitive_features` (categorical one-hot, binary 0/1, numeric standardized) and
    the encodings are concatenated column-wise (docs/user_guide/dcov.md, the paper's proposal).

    Parameters
    ----------
    yhat : array-like of shape (n_samples,)
        Predictions (probabilities, scores or means).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Multitype protected attributes (see :func:`encode_sensitive_features` for the detection).
    unbiased : bool, default=True
        U-statistic (default) or V-statistic.

    Returns
    -------
    ccdcov : float
        Equal to ``dcor.u_distance_covariance_sqr(yhat, encoded)``.

    Notes
    -----
    When every attribute is categorical or binary the samples fall in intersectional cells and
    ``b_kl`` only depends on the two cells, so the statistic is a sweep over the sorted ``yhat``:
    ``O(n log n + n * cells)`` time, ``O(n + cells^2)`` memory. With a numeric attribute the
    generic paths apply (``O(n^2)`` time, ``O(n)`` memory).

    Examples
    --------
    >>> from fairlearn_online.dcov import concatenated_distance_covariance
    >>> yhat = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> sf = {"race": ["a", "b", "c", "b", "a", "c"], "sex": ["F", "M", "F", "M", "F", "M"]}
    >>> round(concatenated_distance_covariance(yhat, sf), 6)
    0.056859
    """
    return _ccdcov(yhat, sensitive_features, unbiased, False)[0]


@fill_doc(value_and_gradient=VALUE_AND_GRADIENT_DOC)
def concatenated_distance_covariance_grad(yhat, sensitive_features, *, unbiased=True):
    """CCdCov (as :func:`concatenated_distance_covariance`) and its gradient w.r.t. ``yhat``.

    Parameters
    ----------
    yhat : array-like of shape (n_samples,)
        Predictions.
    sensitive_features : array-like, DataFrame or dict of str to array-like
        One or more sensitive features (as in :func:`concatenated_distance_covariance`).
    unbiased : bool, default=True
        The U-statistic (``True``) or the V-statistic.

    %(value_and_gradient)s

    Examples
    --------
    >>> from fairlearn_online.dcov import concatenated_distance_covariance_grad
    >>> value, grad = concatenated_distance_covariance_grad(
    ...     [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], {"sex": ["F", "M", "F", "M", "F", "M"]})
    >>> grad.shape
    (6,)
    """
    return _ccdcov(yhat, sensitive_features, unbiased, True)
