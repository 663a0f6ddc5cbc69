"""Post-processing references for the intersectional calibration metrics (docs/user_guide/dcov.md).

Two ways to bring the subgroups' score distributions together after training, without a
penalty, each fitted on training scores only and mixed with the original scores by ``t``:

* :func:`quantile_repair`: each subgroup's scores mapped onto the pooled score distribution
  (the Wasserstein-barycenter repair);
* :func:`group_thresholds_side_alignment`: per-subgroup thresholds that move each selection rate
  toward the pooled one, then each side of the decision mapped onto the pooled scores of that
  side of 0.5 (the decisions are kept exactly).
"""

from __future__ import annotations

import numpy as np

__all__ = ["quantile_repair", "group_thresholds_side_alignment"]


def _quantile_map(reference, target_pool, values):
    """Map ``values`` through the empirical CDF of ``reference`` onto ``target_pool``'s
    quantiles."""
    q = np.searchsorted(np.sort(reference), values, side="right") / len(reference)
    return np.quantile(target_pool, np.clip(q, 0.0, 1.0))


def quantile_repair(p_train, g_train, p, g, t):
    """``(1 - t) p + t aligned(p)``: each subgroup's scores onto the pooled training scores.

    Parameters
    ----------
    p_train : ndarray of shape (n_train,)
        Training scores, which fit the mapping.
    g_train : ndarray of int of shape (n_train,)
        Subgroup codes of the training rows.
    p : ndarray of shape (n_samples,)
        Scores to repair.
    g : ndarray of int of shape (n_samples,)
        Their subgroup codes; a subgroup with fewer than 2 training rows is left as it is.
    t : float
        Mix in [0, 1]: 0 returns ``p``, 1 the fully aligned scores.

    Returns
    -------
    scores : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import quantile_repair
    >>> p, g = np.array([0.1, 0.2, 0.7, 0.9]), np.array([0, 0, 1, 1])
    >>> quantile_repair(p, g, p, g, 1.0).round(2).tolist()
    [0.45, 0.9, 0.45, 0.9]
    """
    aligned = p.copy()
    for c in np.unique(g):
        ref = p_train[g_train == c]
        if len(ref) >= 2:
            aligned[g == c] = _quantile_map(ref, p_train, p[g == c])
    return (1.0 - t) * p + t * aligned


def group_thresholds_side_alignment(p_train, g_train, p, g, t):
    """Move each subgroup's selection rate toward the pooled one by ``t``, keep the decisions,
    and give both sides of the decision the pooled score distribution of that side of 0.5.

    Parameters
    ----------
    p_train : ndarray of shape (n_train,)
        Training scores, which fit the thresholds and the mappings.
    g_train : ndarray of int of shape (n_train,)
        Subgroup codes of the training rows.
    p : ndarray of shape (n_samples,)
        Scores to post-process.
    g : ndarray of int of shape (n_samples,)
        Their subgroup codes; a subgroup with fewer than 2 training rows keeps threshold 0.5.
    t : float
        Fraction in [0, 1] of the way from each subgroup's selection rate to the pooled one.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        ``scores > 0.5`` are the decisions of the subgroup thresholds.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.dcov import group_thresholds_side_alignment
    >>> p, g = np.array([0.1, 0.6, 0.7, 0.9]), np.array([0, 0, 1, 1])
    >>> (group_thresholds_side_alignment(p, g, p, g, 0.0) > 0.5).tolist()
    [False, True, False, True]
    """
    pooled_rate = np.mean(p_train > 0.5)
    thresholds = np.full(max(g_train.max(initial=-1), g.max(initial=-1)) + 1, 0.5)
    for c in np.unique(g):
        s = p_train[g_train == c]
        if len(s) >= 2:
            rate = (1.0 - t) * np.mean(s > 0.5) + t * pooled_rate
            thresholds[c] = np.quantile(s, 1.0 - rate)
    decide_train = p_train > thresholds[g_train]
    decide = p > thresholds[g]
    out = np.empty_like(p)
    for side in (False, True):
        pool = p_train[(p_train > 0.5) == side]
        for c in np.unique(g):
            rows = (g == c) & (decide == side)
            if not rows.any():
                continue
            ref = p_train[(g_train == c) & (decide_train == side)]
            out[rows] = (_quantile_map(ref, pool, p[rows]) if len(ref) >= 2
                         else np.median(pool))
    return out
