"""Intersectional calibration metrics of the multitype-attributes paper (docs/user_guide/dcov.md).

* :func:`js_calibration`: generalized Jensen-Shannon divergence (bits) between the densities of
  the predictions in the intersectional subgroups, each a Gaussian KDE (bandwidth factor 0.15)
  evaluated on a 1,000-point grid, weighted by the subgroup shares;
* :func:`unfairness_ratio`: ``UF = Var(E[yhat | subgroup]) / Var(yhat)``.

Subgroups are the rows' tuples of the protected attributes; numeric attributes (see
:func:`~fairlearn_online.dcov.encode_sensitive_features`) are cut into ``numeric_bins``
quantile bins first (default 4: quartiles), so that a continuous attribute such as age gives a
few subgroups rather than one per value.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._core.groups import typed_subgroups
from ._stats import _as_1d

__all__ = ["intersectional_subgroups", "js_calibration", "unfairness_ratio"]


def intersectional_subgroups(sensitive_features, *, numeric_bins=4, n_samples=None):
    """Integer subgroup code of every sample (numeric attributes in quantile bins).

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
    numeric_bins : int, default=4
        Quantile bins for numeric attributes (``pandas.qcut``; duplicate edges are merged).
    n_samples : int, optional

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64
        ``0 .. n_subgroups - 1``.
    labels : list of tuple
        The subgroup of every code: per attribute, its value or its bin (a pandas Interval).

    Examples
    --------
    >>> from fairlearn_online.dcov import intersectional_subgroups
    >>> codes, labels = intersectional_subgroups(
    ...     {"sex": ["F", "M", "F", "M"], "age": [20, 30, 40, 50]}, numeric_bins=2)
    >>> codes.tolist()
    [0, 2, 1, 3]
    """
    return typed_subgroups(sensitive_features, numeric_bins=numeric_bins,
                           n_samples=n_samples)


def _check_yhat_groups(yhat, sensitive_features, numeric_bins):
    y = _as_1d(yhat, "yhat")
    if len(y) == 0:
        raise ValueError("yhat is empty.")
    codes, labels = intersectional_subgroups(sensitive_features, numeric_bins=numeric_bins,
                                             n_samples=len(y))
    return y, codes, labels


def _gaussian_kde_on_grid(values, h, grid, chunk=2048):
    """Unnormalized Gaussian KDE ``sum_i exp(-(t - x_i)^2 / (2 h^2))`` at every grid point."""
    out = np.zeros(len(grid))
    for start in range(0, len(values), chunk):
        z = (grid[None, :] - values[start:start + chunk, None]) / h
        out += np.exp(-0.5 * z * z).sum(axis=0)
    return out


def _entropy_bits(p):
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def js_calibration(yhat, sensitive_features, *, bandwidth=0.15, n_grid=1000, numeric_bins=4,
                   min_group_size=2):
    """Generalized Jensen-Shannon divergence (bits) of the subgroup prediction densities.

    ``JSD = H(sum_g w_g p_g) - sum_g w_g H(p_g)`` where ``p_g`` is the Gaussian KDE of the
    predictions of subgroup ``g`` (``scipy.stats.gaussian_kde`` with ``bw_method=bandwidth``,
    i.e. bandwidth = ``bandwidth`` x the subgroup's standard deviation, ``ddof=1``) evaluated
    on ``n_grid`` equally spaced points and normalized to sum to 1, ``w_g`` the subgroup's share
    of the samples and ``H`` the Shannon entropy in bits. The grid spans the range of the
    retained predictions widened by three of the largest subgroup bandwidths. 0 when every
    subgroup has the same prediction distribution; at most ``log2(n_subgroups)``.

    Subgroups with fewer than ``min_group_size`` samples, or whose predictions take fewer than
    two distinct values (no KDE), are left out and the weights of the others renormalized; if
    fewer than two subgroups remain the result is 0. A KDE of a handful of points is a few
    spikes, so tiny subgroups add a sampling-noise floor to the divergence even for predictions
    independent of the groups; ``min_group_size`` (e.g. 50) removes that floor.

    Parameters
    ----------
    yhat : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
    bandwidth : float, default=0.15
    n_grid : int, default=1000
    numeric_bins : int, default=4
        Quantile bins of numeric attributes (see :func:`intersectional_subgroups`).
    min_group_size : int, default=2
        Smallest subgroup taken into account.

    Returns
    -------
    jsd : float

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import js_calibration
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 2000)
    >>> fair = rng.uniform(size=2000)
    >>> unfair = np.clip(fair + 0.3 * (sex == "M"), 0, 1)
    >>> bool(js_calibration(fair, sex) < 0.01 < js_calibration(unfair, sex))
    True
    """
    y, codes, _ = _check_yhat_groups(yhat, sensitive_features, numeric_bins)
    if not (isinstance(bandwidth, numbers.Real) and np.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be > 0, got {bandwidth!r}.")
    if isinstance(n_grid, bool) or not isinstance(n_grid, numbers.Integral) or n_grid < 2:
        raise ValueError(f"n_grid must be an integer >= 2, got {n_grid!r}.")
    if (isinstance(min_group_size, bool) or not isinstance(min_group_size, numbers.Integral)
            or min_group_size < 2):
        raise ValueError(f"min_group_size must be an integer >= 2, got {min_group_size!r}.")
    samples, weights, widths = [], [], []
    for g in range(codes.max() + 1):
        values = y[codes == g]
        if len(values) < min_group_size or len(np.unique(values)) < 2:
            continue
        samples.append(values)
        weights.append(len(values))
        # scipy.stats.gaussian_kde(values, bw_method=bandwidth): h = bandwidth * std (ddof=1)
        widths.append(float(bandwidth) * float(np.std(values, ddof=1)))
    if len(samples) < 2:
        return 0.0
    pad = 3.0 * max(widths)
    lo = min(v.min() for v in samples)
    hi = max(v.max() for v in samples)
    grid = np.linspace(lo - pad, hi + pad, int(n_grid))
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    dens = np.array([_gaussian_kde_on_grid(v, h, grid) for v, h in zip(samples, widths)])
    dens /= dens.sum(axis=1, keepdims=True)
    mixture = weights @ dens
    jsd = _entropy_bits(mixture) - sum(w * _entropy_bits(p) for w, p in zip(weights, dens))
    return max(float(jsd), 0.0)


def unfairness_ratio(yhat, sensitive_features, *, numeric_bins=4):
    """UF = Var(subgroup means of yhat) / Var(yhat), subgroup means weighted by subgroup shares.

    ``Var(E[yhat | g]) / Var(yhat)``: the share of the variance of the predictions explained by
    the intersectional subgroup (between-group over total variance, in [0, 1]); 0 when every
    subgroup has the same mean prediction. Constant predictions give 0.

    Parameters
    ----------
    yhat : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
    numeric_bins : int, default=4

    Returns
    -------
    uf : float

    Examples
    --------
    >>> from fairlearn_online.dcov import unfairness_ratio
    >>> unfairness_ratio([0.0, 1.0, 2.0, 3.0], ["a", "a", "b", "b"])
    0.8
    """
    y, codes, _ = _check_yhat_groups(yhat, sensitive_features, numeric_bins)
    total = float(np.var(y))
    if total == 0.0:
        return 0.0
    counts = np.bincount(codes).astype(float)
    means = np.bincount(codes, weights=y) / counts
    between = float(np.sum(counts * (means - y.mean()) ** 2) / len(y))
    return between / total
