"""``FairnessDriftDetector``: an alarm when the between-group gap of a rate changes.

The stream is cut into batches of ``batch_size`` events. For every group ``g`` and batch ``b``
the detector compares the group's deviation from the batch's overall rate,
``d_gb = r_gb - r_b``, with the same deviation in the reference (all batches since the start or
the last alarm), standardised by the binomial variance under the pooled reference rate ``p``:

    z_gb = (d_gb - d_g,ref) / sqrt(p (1 - p) (1 / n_gb - 1 / n_b + 1 / n_g,ref - 1 / n_ref)).

A common shift of every group's rate leaves ``d_gb`` unchanged: only a change of the gap moves
``z``. Each group feeds a two-sided CUSUM (Page 1954) ``C+ = max(0, C+ + z - drift)``,
``C- = max(0, C- - z - drift)``; an alarm fires when one exceeds ``threshold``, names the groups
over it, and restarts the reference. The first ``warmup`` batches after the start or an alarm
only build the reference. False-alarm rate and detection delay are measured in
``benchmarks/bench_monitor.py`` and reported in ``docs/user_guide/monitoring.md``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..base import GroupEncoder
from ._frame import _chunk_group_codes
from ._group_counts import _as_1d

__all__ = ["FairnessDriftDetector"]

_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")


def _check_number(value, name, *, integer=False, low=0.0):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(value):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a real number'}, "
                        f"got {value!r}.")
    if value <= low:
        raise ValueError(f"{name} must be > {low:g}, got {value!r}.")
    return value


class FairnessDriftDetector:
    """Alarm when the between-group gap of a rate changes (default: demographic parity).

    Parameters
    ----------
    metric : {"selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"}, \
default="selection_rate"
        The rate whose between-group gap is watched (``selection_rate``: demographic parity;
        ``true_positive_rate``: equal opportunity, needs labels).
    pos_label : scalar, default=1
    batch_size : int, default=500
        Events per batch (the CUSUM steps once per batch).
    threshold : float, default=7.0
        CUSUM alarm threshold (in standard deviations of a batch statistic).
    drift : float, default=1.0
        CUSUM allowance; a gap change of about ``2 * drift`` batch standard deviations is
        detected fastest.
    warmup : int, default=40
        Batches that only build the reference after the start and after each alarm.
    min_count : int, default=10
        Minimum trials of a group in a batch (and in the reference) for it to be tested.

    Attributes
    ----------
    n_samples_seen_ : int
    alarms_ : list of dict
        One per alarm: ``n_samples`` (events seen when it fired), ``groups`` (the groups whose
        CUSUM crossed the threshold), ``direction`` (+1: the group's rate rose relative to the
        others, -1: fell) and ``statistic``.
    groups_ : list

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.metrics import FairnessDriftDetector
    >>> rng = np.random.default_rng(0)
    >>> n = 60_000
    >>> group = rng.choice(["a", "b"], n)
    >>> shift = np.where((np.arange(n) >= 40_000) & (group == "a"), 0.1, 0.0)
    >>> y_pred = (rng.random(n) < 0.4 + shift).astype(int)
    >>> detector = FairnessDriftDetector()
    >>> fired = [detector.update(None, y_pred[i:i + 1000], sensitive_features=group[i:i + 1000])
    ...          for i in range(0, n, 1000)]
    >>> alarm = detector.alarms_[0]
    >>> 40_000 < alarm["n_samples"] < 45_000, alarm["direction"] in (-1, 1)
    (True, True)
    """

    def __init__(self, metric="selection_rate", *, pos_label=1, batch_size=500, threshold=7.0,
                 drift=1.0, warmup=40, min_count=10):
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}.")
        self._metric, self._pos_label = metric, pos_label
        self._batch_size = int(_check_number(batch_size, "batch_size", integer=True))
        self._threshold = float(_check_number(threshold, "threshold"))
        self._drift = float(_check_number(drift, "drift", low=-1e-300))
        self._warmup = int(_check_number(warmup, "warmup", integer=True))
        self._min_count = int(_check_number(min_count, "min_count", integer=True))
        self.encoder_ = GroupEncoder()
        self._memo = {}
        self.n_samples_seen_ = 0
        self.alarms_ = []
        self._pending = np.zeros((0, 2))  # current batch: per group (trials, successes)
        self._in_batch = 0
        self._restart()

    metric = property(lambda self: self._metric)
    batch_size = property(lambda self: self._batch_size)
    threshold = property(lambda self: self._threshold)
    drift = property(lambda self: self._drift)
    warmup = property(lambda self: self._warmup)

    @property
    def groups_(self):
        return list(self.encoder_.groups_)

    def _restart(self):
        g = self.encoder_.n_groups
        self._ref = np.zeros((g, 2))
        self._ref_batches = 0
        self._cusum = np.zeros((g, 2))

    def _grow(self, n_groups):
        for name in ("_ref", "_cusum", "_pending"):
            old = getattr(self, name)
            new = np.zeros((n_groups, 2))
            new[: old.shape[0]] = old
            setattr(self, name, new)

    def update(self, y_true, y_pred, *, sensitive_features):
        """Add a chunk (any length); returns whether an alarm fired inside it.

        Parameters
        ----------
        y_true : array-like of shape (n,) or None
            Needed unless ``metric="selection_rate"``.
        y_pred : array-like of shape (n,)
        sensitive_features : array-like of shape (n,) or (n, n_attributes)

        Returns
        -------
        bool
        """
        y_pred = _as_1d(np.atleast_1d(y_pred), "y_pred")
        n = len(y_pred)
        if y_true is None:
            if self._metric != "selection_rate":
                raise ValueError(f"metric={self._metric!r} needs y_true.")
            y_true = y_pred
        else:
            y_true = _as_1d(np.atleast_1d(y_true), "y_true", n)
        if sensitive_features is None:
            raise ValueError("sensitive_features is required.")
        if n == 0:
            return False
        if np.ndim(sensitive_features) == 0 or isinstance(sensitive_features, tuple):
            sensitive_features = np.array([sensitive_features], dtype=object)
        encoder = self.encoder_.copy()
        codes, entry = _chunk_group_codes(encoder, sensitive_features, n, self._memo)
        pos = self._pos_label
        pred_pos = y_pred == pos
        if self._metric == "selection_rate":
            trial, success = np.ones(n, bool), pred_pos
        elif self._metric == "accuracy":
            trial, success = np.ones(n, bool), y_true == y_pred
        elif self._metric == "true_positive_rate":
            trial = y_true == pos
            success = trial & pred_pos
        else:
            trial = y_true != pos
            success = trial & pred_pos
        # validated: commit
        self.encoder_ = encoder
        if entry is not None and len(self._memo) < 64:
            self._memo[entry[0]] = entry[1]
        g = encoder.n_groups
        if g > self._ref.shape[0]:
            self._grow(g)
        # batches inside the chunk
        position = self._in_batch + np.arange(n)
        batch = position // self._batch_size
        n_batches = int(batch[-1]) + 1
        index = batch * g + codes
        trials = np.bincount(index, weights=trial, minlength=n_batches * g).reshape(n_batches, g)
        successes = np.bincount(index, weights=success,
                                minlength=n_batches * g).reshape(n_batches, g)
        fired = False
        for b in range(n_batches):
            stats = np.column_stack([trials[b], successes[b]])
            if b == 0:
                stats = stats + self._pending
            complete = b < n_batches - 1 or (self._in_batch + n) % self._batch_size == 0
            if not complete:
                self._pending = stats
                break
            self._pending = np.zeros((g, 2))
            end = self.n_samples_seen_ + min(n, (b + 1) * self._batch_size - self._in_batch)
            fired |= self._step(stats, end)
        self.n_samples_seen_ += n
        self._in_batch = (self._in_batch + n) % self._batch_size
        return bool(fired)

    def _step(self, batch, end):
        """One CUSUM step on a complete batch ((trials, successes) per group)."""
        if self._ref_batches < self._warmup:
            self._ref += batch
            self._ref_batches += 1
            return False
        ref = self._ref
        n_b, n_ref = batch[:, 0].sum(), ref[:, 0].sum()
        ok = ((batch[:, 0] >= self._min_count) & (ref[:, 0] >= self._min_count)
              & (batch[:, 0] < n_b) & (ref[:, 0] < n_ref))
        if ok.sum() >= 1 and n_b > 0 and n_ref > 0:
            p = min(max(ref[:, 1].sum() / n_ref, 0.01), 0.99)
            with np.errstate(invalid="ignore", divide="ignore"):
                dev_b = batch[:, 1] / batch[:, 0] - batch[:, 1].sum() / n_b
                dev_ref = ref[:, 1] / ref[:, 0] - ref[:, 1].sum() / n_ref
                var = p * (1 - p) * (1 / batch[:, 0] - 1 / n_b + 1 / ref[:, 0] - 1 / n_ref)
                z = np.where(ok, (dev_b - dev_ref) / np.sqrt(np.where(ok, var, 1.0)), 0.0)
            c = self._cusum
            c[:, 0] = np.where(ok, np.maximum(0.0, c[:, 0] + z - self._drift), c[:, 0])
            c[:, 1] = np.where(ok, np.maximum(0.0, c[:, 1] - z - self._drift), c[:, 1])
            over = c.max(axis=1) > self._threshold
            if over.any():
                groups = [self.encoder_.groups_[i] for i in np.flatnonzero(over)]
                top = int(np.argmax(c.max(axis=1)))
                self.alarms_.append({
                    "n_samples": int(end), "groups": groups,
                    "direction": 1 if c[top, 0] >= c[top, 1] else -1,
                    "statistic": float(c.max())})
                self._restart()
                return True
        self._ref += batch
        self._ref_batches += 1
        return False

    def __repr__(self):
        return (f"FairnessDriftDetector(metric={self._metric!r}, {self.n_samples_seen_} events, "
                f"{len(self.alarms_)} alarms)")
