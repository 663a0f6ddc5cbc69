"""Bias-drift streams: labels whose between-group gap changes at known times."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import Bunch

__all__ = ["make_fairness_drift_stream", "gap_schedule"]

DRIFTS = ("abrupt", "gradual", "recurring")


def gap_schedule(n_samples, *, drift="abrupt", change_points=None, gap_before=0.0,
                 gap_after=0.1, width=10_000):
    """The between-group gap of the positive rate at every event.

    ``abrupt``: ``gap_before`` until the first change point, then ``gap_after``;
    ``gradual``: a linear ramp from ``gap_before`` to ``gap_after`` over ``width`` events from
    the first change point; ``recurring``: the gap alternates between the two values at every
    change point. Default change points: the middle (abrupt, gradual) or every quarter
    (recurring).

    Parameters
    ----------
    n_samples : int
        Length of the stream.
    drift : {"abrupt", "gradual", "recurring"}, default="abrupt"
    change_points : list of int or None, default=None
        Events at which the gap changes (``None``: the defaults above).
    gap_before, gap_after : float, default=0.0, 0.1
        The two gaps.
    width : int, default=10000
        Length of the ``gradual`` ramp, in events.

    Returns
    -------
    gap : ndarray of shape (n_samples,)
    change_points : list of int
    """
    if drift not in DRIFTS:
        raise ValueError(f"drift must be one of {DRIFTS}, got {drift!r}.")
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if change_points is None:
        change_points = ([n_samples // 4, n_samples // 2, 3 * n_samples // 4]
                         if drift == "recurring" else [n_samples // 2])
    change_points = sorted(int(c) for c in change_points)
    if not change_points or change_points[0] < 1 or change_points[-1] >= n_samples:
        raise ValueError(f"change_points must lie in [1, n_samples), got {change_points}.")
    t = np.arange(n_samples)
    if drift == "abrupt":
        gap = np.where(t >= change_points[0], gap_after, gap_before)
    elif drift == "gradual":
        ramp = np.clip((t - change_points[0]) / max(int(width), 1), 0.0, 1.0)
        gap = gap_before + (gap_after - gap_before) * ramp
    else:
        flips = np.searchsorted(np.asarray(change_points), t, side="right")
        gap = np.where(flips % 2 == 1, gap_after, gap_before)
    return gap.astype(np.float64), change_points


def make_fairness_drift_stream(n_samples=100_000, *, drift="abrupt", change_points=None,
                               gap_before=0.0, gap_after=0.1, width=10_000, base_rate=0.4,
                               group_probs=(0.5, 0.5), n_features=4, signal=1.0,
                               random_state=0):
    """A labelled stream with two groups whose positive-rate gap drifts at known times.

    Group ``"a"`` has positive rate ``base_rate + gap(t) / 2`` and group ``"b"``
    ``base_rate - gap(t) / 2`` (:func:`gap_schedule`), so the demographic-parity difference of
    the labels is ``gap(t)``. The features carry the label (the first is ``signal * (2 y - 1)``
    plus standard normal noise, the others are noise) and the group (last column, 0/1), so an
    online model fitted to the stream follows the drift in its predictions.

    Parameters
    ----------
    n_samples : int, default=100_000
    drift : {"abrupt", "gradual", "recurring"}, default="abrupt"
    change_points : list of int, optional
    gap_before, gap_after : float, default=0.0, 0.1
    width : int, default=10_000
        Length of the gradual ramp.
    base_rate : float, default=0.4
    group_probs : (float, float), default=(0.5, 0.5)
    n_features : int, default=4
        Including the group column.
    signal : float, default=1.0
    random_state : int, default=0

    Returns
    -------
    Bunch
        ``X`` (n_samples, n_features), ``y`` (0/1), ``sensitive_features`` ("a"/"b"), ``gap``
        (the true gap at each event) and ``change_points``.

    Examples
    --------
    >>> from fairlearn_online.datasets import make_fairness_drift_stream
    >>> data = make_fairness_drift_stream(20_000, random_state=0)
    >>> data.change_points, float(data.gap[0]), float(data.gap[-1])
    ([10000], 0.0, 0.1)
    """
    gap, change_points = gap_schedule(n_samples, drift=drift, change_points=change_points,
                                      gap_before=gap_before, gap_after=gap_after, width=width)
    rates = np.array([base_rate - abs(gap).max() / 2, base_rate + abs(gap).max() / 2])
    if rates.min() < 0 or rates.max() > 1:
        raise ValueError("base_rate +- gap / 2 must stay within [0, 1].")
    probs = np.asarray(group_probs, dtype=float)
    if probs.shape != (2,) or np.any(probs < 0) or not np.isclose(probs.sum(), 1):
        raise ValueError(f"group_probs must be two probabilities summing to 1, got {group_probs}.")
    if (isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral)
            or n_features < 2):
        raise ValueError(f"n_features must be an integer >= 2, got {n_features!r}.")
    rng = np.random.default_rng(random_state)
    in_a = rng.random(n_samples) < probs[0]
    rate = base_rate + np.where(in_a, gap / 2, -gap / 2)
    y = (rng.random(n_samples) < rate).astype(np.int64)
    X = rng.normal(size=(n_samples, n_features))
    X[:, 0] += signal * (2 * y - 1)
    X[:, -1] = in_a
    return Bunch(X=X, y=y, sensitive_features=np.where(in_a, "a", "b"), gap=gap,
                 change_points=change_points)
