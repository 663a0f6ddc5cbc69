"""``StreamingMetricFrame``: fairlearn's ``MetricFrame`` on a stream (cumulative, windowed or
decayed).

Every metric the frame offers is a ratio of two per-group sums, so one small table of sufficient
statistics per group (``_N`` ... ``_AE`` below) is all the state the cumulative and decayed frames
keep; the windowed frame also keeps the last ``window`` rows (memory O(window)) so that rows
leaving the window are subtracted exactly. The group labels go through the shared
:func:`~fairlearn_online.base.check_sensitive_features` and
:class:`~fairlearn_online.base.GroupEncoder`; for arrays and pandas objects only the distinct
labels of a chunk are passed through them (a chunk of 10,000 rows of a few groups validates a
few labels, not 10,000).

Conventions follow fairlearn (``docs/user_guide/monitoring.md``): a rate whose denominator is
empty inside a group that has rows is 0 (scikit-learn's ``zero_division=0``), a group without a
row in the window has NaN for every metric, ``group_min``/``group_max``/``difference``/``ratio``
skip NaN groups.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from .._core.docstrings import fill_doc
from ..base import GroupEncoder, _as_python_scalar, check_sensitive_features
from ._group_counts import _as_1d, check_some_weight, weight_scale

__all__ = ["StreamingMetricFrame", "STREAMING_METRICS"]

# columns of the per-group statistics table
_N, _TN, _FP, _FN, _TP, _OK, _W2N, _W2P, _YP, _SE, _AE = range(11)
_N_STATS = 11
#: the columns that sum weights (all but the row count); they are kept divided by ``_scale``
#: (``_W2N`` / ``_W2P``, sums of squared weights, by ``_scale ** 2``)
_WEIGHTED = np.arange(_N + 1, _N_STATS)
_SCALARS = frozenset([int, float, str, bool, np.int64, np.float64, np.bool_])


def _w(s):
    return s[..., _TN] + s[..., _FP] + s[..., _FN] + s[..., _TP]


def _div(num, den, empty):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)


# name -> (function of the statistics table, needs numeric labels)
STREAMING_METRICS = {
    "count": (lambda s: s[..., _N] * 1.0, False),
    "accuracy": (lambda s: _div(s[..., _OK], _w(s), np.nan), False),
    "selection_rate": (lambda s: _div(s[..., _FP] + s[..., _TP], _w(s), np.nan), False),
    "true_positive_rate": (lambda s: _div(s[..., _TP], s[..., _TP] + s[..., _FN], 0.0), False),
    "false_positive_rate": (lambda s: _div(s[..., _FP], s[..., _FP] + s[..., _TN], 0.0), False),
    "true_negative_rate": (lambda s: _div(s[..., _TN], s[..., _FP] + s[..., _TN], 0.0), False),
    "false_negative_rate": (lambda s: _div(s[..., _FN], s[..., _TP] + s[..., _FN], 0.0), False),
    "mean_prediction": (lambda s: _div(s[..., _YP], _w(s), np.nan), True),
    "mean_squared_error": (lambda s: _div(s[..., _SE], _w(s), np.nan), True),
    "mean_absolute_error": (lambda s: _div(s[..., _AE], _w(s), np.nan), True),
}

# successes, trials (weighted) and the squared-weight column giving the effective trial count
_RATES = {
    "selection_rate": ((_FP, _TP), (_TN, _FP, _FN, _TP), (_W2N, _W2P)),
    "accuracy": ((_OK,), (_TN, _FP, _FN, _TP), (_W2N, _W2P)),
    "true_positive_rate": ((_TP,), (_FN, _TP), (_W2P,)),
    "false_negative_rate": ((_FN,), (_FN, _TP), (_W2P,)),
    "false_positive_rate": ((_FP,), (_TN, _FP), (_W2N,)),
    "true_negative_rate": ((_TN,), (_TN, _FP), (_W2N,)),
}

_ALIASES = {"accuracy_score": "accuracy", "recall_score": "true_positive_rate",
            "mean_squared_error": "mean_squared_error", "mean_absolute_error":
            "mean_absolute_error"}


def _metric_name(metric) -> str:
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", None)
    name = _ALIASES.get(name, name)
    if name not in STREAMING_METRICS:
        raise ValueError(f"metrics: unknown streaming metric {metric!r}; choose among "
                         f"{sorted(STREAMING_METRICS)} (or functions of those names).")
    return name


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if not (0 < value < 1):
        raise ValueError(f"{name} must be in (0, 1), got {value!r}.")
    return float(value)


# --------------------------------------------------------------------------------------------
# group codes of a chunk through the shared validation, one call per distinct label
# --------------------------------------------------------------------------------------------
def _factorize_column(column):
    """Codes and uniques (first appearance, or sorted for small integer ranges) of a 1-D column."""
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        if len(codes) and codes.min() < 0:  # a missing label: let the shared check reject it
            return pd.factorize(column.astype(object).to_numpy(), use_na_sentinel=False)
        present = np.bincount(codes, minlength=len(column.cat.categories)) > 0
        table = np.cumsum(present) - 1
        return table[codes], column.cat.categories.to_numpy(dtype=object)[present]
    arr = column.to_numpy() if isinstance(column, pd.Series) else column
    if arr.dtype.kind in "iub" and len(arr):
        ints = arr.astype(np.int64)
        lo, hi = int(ints.min()), int(ints.max())
        if hi - lo < 1 << 16:
            present = np.bincount(ints - lo) > 0
            table = np.cumsum(present) - 1
            uniques = (np.flatnonzero(present) + lo).astype(arr.dtype)
            return table[ints - lo], uniques
    return pd.factorize(arr, use_na_sentinel=False)


def _chunk_group_codes(encoder, sensitive_features, n, memo):
    """Group codes of ``n`` rows; ``encoder`` (a copy) learns the new groups.

    Returns ``(codes, entry)``: ``entry`` is ``(key, mapping)`` to add to ``memo`` on commit, or
    None. ``memo`` maps a chunk's distinct labels (per column, with dtypes and column names) to
    their group codes, so a chunk whose distinct labels were validated before is not validated
    again (codes never change once given).
    """
    sf = sensitive_features
    if isinstance(sf, dict):
        sf = pd.DataFrame(sf)
    fast = (isinstance(sf, (pd.Series, pd.DataFrame))
            or (isinstance(sf, np.ndarray) and sf.ndim in (1, 2)))
    if not fast or n == 0 or (getattr(sf, "shape", (n,))[0] != n):
        values, columns = check_sensitive_features(sf, n)  # the shared path (and its errors)
        return encoder.encode(values, columns, update=True), None
    if isinstance(sf, pd.DataFrame):
        parts = [sf.iloc[:, j] for j in range(sf.shape[1])]
        names = tuple(map(str, sf.columns))
    elif isinstance(sf, pd.Series):
        parts, names = [sf], (sf.name,)
    elif sf.ndim == 1:
        parts, names = [sf], None
    else:
        parts, names = [sf[:, j] for j in range(sf.shape[1])], None
    if not parts:
        check_sensitive_features(sf, n)  # raises "at least one column"
    factorized = [_factorize_column(part) for part in parts]
    key = (names, tuple((str(u.dtype), tuple(u.tolist())) for _, u in factorized))
    local = np.asarray(factorized[0][0], dtype=np.int64)
    for codes_j, uniques_j in factorized[1:]:
        local = local * len(uniques_j) + np.asarray(codes_j, dtype=np.int64)
    mapping = memo.get(key)
    if mapping is not None:
        codes = mapping[local]
        if len(codes) == 0 or codes.min() >= 0:  # else a new combination of known labels
            return codes, None
    # every combination of the columns' distinct labels, encoded once through the shared code
    sizes = [len(u) for _, u in factorized]
    if len(parts) > 1:
        present = np.flatnonzero(np.bincount(local, minlength=int(np.prod(sizes))))
        rows, rest = [], present
        for j in range(len(parts) - 1, -1, -1):  # undo the mixed radix
            rows.append(np.asarray(factorized[j][1], dtype=object)[rest % sizes[j]])
            rest = rest // sizes[j]
        distinct = np.column_stack(rows[::-1])
    else:
        present = np.arange(sizes[0])
        distinct = np.asarray(factorized[0][1], dtype=object).reshape(-1, 1)
    if isinstance(sf, pd.DataFrame):
        distinct = pd.DataFrame(distinct, columns=sf.columns)
    elif isinstance(sf, pd.Series):
        distinct = pd.Series(distinct[:, 0], name=sf.name, dtype=object)
    elif sf.ndim == 1:
        distinct = distinct[:, 0]
    values, columns = check_sensitive_features(distinct, len(distinct))
    mapping = np.full(int(np.prod(sizes)), -1, dtype=np.int64)
    mapping[present] = encoder.encode(values, columns, update=True)
    return mapping[local], (key, mapping)


#: the metric and level of every interval method
_METRIC_AND_LEVEL = """
metric : str
    One of the frame's rate metrics (output name or metric name).
level : float, default=0.95
"""
#: the Parameters and Returns of the between-group intervals (difference and ratio)
_BETWEEN_GROUP_INTERVAL_SECTIONS = ("Parameters\n----------\n" + _METRIC_AND_LEVEL.strip() + """
kind : {"wilson", "exact", "sequence"}, default="wilson"
    As in :meth:`interval`.
tuned_n : float, default=1000
    Where the sequence is tightest (``kind="sequence"`` only).

Returns
-------
dict
    ``value``, ``lower``, ``upper``.
""")

class _Ring:
    """The last ``capacity`` rows (group code, cell, weight, regression terms), oldest first."""

    def __init__(self, capacity, regression):
        self.capacity, self.size, self.head = capacity, 0, 0  # head: index of the oldest row
        self.code = np.zeros(capacity, dtype=np.int64)
        self.cell = np.zeros(capacity, dtype=np.int8)
        self.weight = np.zeros(capacity)
        self.reg = np.zeros((capacity, 3)) if regression else None

    def ordered(self):
        idx = (self.head + np.arange(self.size)) % self.capacity
        reg = None if self.reg is None else self.reg[idx]
        return self.code[idx], self.cell[idx], self.weight[idx], reg

    def copy(self):
        new = _Ring.__new__(_Ring)
        new.__dict__ = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                        for k, v in self.__dict__.items()}
        return new


def _chunk_stats(n_groups, codes, cells, weight, reg, weighted, scale=1.0):
    """Per-group statistics table of a chunk (rows: groups, columns ``_N`` ... ``_AE``), the
    weights divided by ``scale`` (a power of two, see ``_group_counts.weight_scale``)."""
    stats = np.zeros((n_groups, _N_STATS))
    if len(codes) == 0:
        return stats
    if scale != 1.0:
        weight, weighted = weight / scale, True
    index = codes * 8 + cells
    counts = np.bincount(index, minlength=n_groups * 8).reshape(n_groups, 4, 2)
    stats[:, _N] = counts.sum(axis=(1, 2))
    sums = (np.bincount(index, weights=weight, minlength=n_groups * 8).reshape(n_groups, 4, 2)
            if weighted else counts.astype(np.float64))
    stats[:, _TN:_TP + 1] = sums.sum(axis=2)
    stats[:, _OK] = sums[:, :, 1].sum(axis=1)
    squares = (np.bincount(index, weights=weight * weight, minlength=n_groups * 8)
               .reshape(n_groups, 4, 2) if weighted else sums)
    stats[:, _W2N] = squares[:, :2].sum(axis=(1, 2))
    stats[:, _W2P] = squares[:, 2:].sum(axis=(1, 2))
    if reg is not None:
        for j, col in enumerate((_YP, _SE, _AE)):
            stats[:, col] = np.bincount(codes, weights=weight * reg[:, j], minlength=n_groups)
    return stats


def _rescale(stats, factor):
    """``stats`` with its weighted sums multiplied by the power of two ``factor`` (exact), the
    sums of squared weights by ``factor ** 2``."""
    if factor != 1.0:
        stats = stats.copy()
        stats[:, _WEIGHTED] *= factor
        stats[:, [_W2N, _W2P]] *= factor
    return stats


class StreamingMetricFrame:
    """fairlearn's ``MetricFrame`` computed on a stream, chunk by chunk or one event at a time.

    The frame answers what ``fairlearn.metrics.MetricFrame(metrics=..., y_true=..., y_pred=...,
    sensitive_features=..., sample_weight=...)`` answers on the rows it covers: all rows so far
    (``window=None``), exactly the last ``window`` rows, or every row weighted ``decay**age``
    (``age`` 0 for the newest row), equal to ``MetricFrame`` with those sample weights.
    See ``docs/user_guide/monitoring.md``.

    Parameters
    ----------
    metrics : str, list of str or dict of str to str or callable
        Streaming metrics by name: ``"accuracy"``, ``"selection_rate"``,
        ``"true_positive_rate"``, ``"false_positive_rate"``, ``"true_negative_rate"``,
        ``"false_negative_rate"``, ``"count"``, ``"mean_prediction"``,
        ``"mean_squared_error"``, ``"mean_absolute_error"``. A dict maps output names to such
        names or to functions of those names (fairlearn's ``selection_rate``, scikit-learn's
        ``accuracy_score``, ...). A single name gives Series/scalar results as fairlearn's
        ``MetricFrame`` with one callable; a list or dict gives DataFrame/Series results.
    window : int, optional
        Cover only the last ``window`` rows (exact; memory O(window)).
    decay : float in (0, 1), optional
        Weight every row ``decay**age``. Not combinable with ``window``.
    pos_label : scalar, default=1
        The label counted as positive by the binary rates.

    Attributes
    ----------
    n_rows_seen_ : int
        Rows received so far (all updates).
    groups_ : list
        Groups seen so far (labels, or tuples for several sensitive columns), in order of first
        appearance; a group stays listed (NaN rates) after it left the window.

    Notes
    -----
    Parameters are fixed at construction (read-only properties). ``count`` counts rows, as
    fairlearn's ``count`` (sample weights and decay do not change it). ``merge`` / ``+`` combine
    frames fed with consecutive parts of one stream (``a + b``: ``a``'s rows came first).
    Unlike fairlearn, combinations of several sensitive columns that never occurred are not
    listed.

    Examples
    --------
    >>> from fairlearn_online.metrics import StreamingMetricFrame
    >>> frame = StreamingMetricFrame(["selection_rate", "count"], window=3)
    >>> _ = frame.update([0, 1, 1, 0], [1, 1, 0, 0], sensitive_features=["a", "a", "b", "b"])
    >>> frame.by_group["selection_rate"].to_dict()
    {'a': 1.0, 'b': 0.0}
    >>> frame.by_group["count"].to_dict()
    {'a': 1.0, 'b': 2.0}
    """

    def __init__(self, metrics="selection_rate", *, window=None, decay=None, pos_label=1):
        if isinstance(metrics, str) or callable(metrics):
            names, self._single = {_metric_name(metrics): _metric_name(metrics)}, True
        elif isinstance(metrics, dict):
            if not metrics:
                raise ValueError("metrics must not be empty.")
            names, self._single = {str(k): _metric_name(v) for k, v in metrics.items()}, False
        else:
            metrics = list(metrics)
            if not metrics:
                raise ValueError("metrics must not be empty.")
            names = {_metric_name(m): _metric_name(m) for m in metrics}
            self._single = False
        if window is not None:
            if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1:
                raise ValueError(f"window must be a positive integer or None, got {window!r}.")
            window = int(window)
        if decay is not None:
            decay = _check_fraction(decay, "decay")
        if window is not None and decay is not None:
            raise ValueError("Give window or decay, not both.")
        self._metrics, self._window, self._decay, self._pos_label = names, window, decay, pos_label
        self._regression = any(STREAMING_METRICS[m][1] for m in names.values())
        self.encoder_ = GroupEncoder()
        self._table = np.zeros((0, _N_STATS))
        self._pending = ([], [], [], [])  # one-event updates not yet added: code, cell, w, reg
        self._ring = _Ring(window, self._regression) if window is not None else None
        self._since_exact = 0
        self._weighted = False
        self._scale = 1.0  # the weighted sums are stored divided by this power of two
        self._memo = {}
        self.n_rows_seen_ = 0

    _scale = 1.0  # frames pickled before the scale existed

    # ---- read-only parameters --------------------------------------------------------------
    metrics = property(lambda self: dict(self._metrics), doc="Output name -> metric name.")
    window = property(lambda self: self._window, doc="Window length, or None.")
    decay = property(lambda self: self._decay, doc="Decay factor, or None.")
    pos_label = property(lambda self: self._pos_label, doc="The positive label.")

    @property
    def groups_(self) -> list:
        return list(self.encoder_.groups_)

    # ---- updates ------------------------------------------------------------------------------
    def update(self, y_true, y_pred, *, sensitive_features, sample_weight=None):
        """Add rows: a chunk of arrays, or one event given as scalars.

        Everything is validated before the state changes (a rejected chunk changes nothing).

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n,) or scalars (one event)
        sensitive_features : array-like of shape (n,) or (n, n_attributes), DataFrame, dict of
            columns; for one event a label, a tuple of labels or a dict ``{attribute: label}``.
        sample_weight : array-like of shape (n,) or scalar, optional
            Non-negative finite weights.

        Returns
        -------
        self
        """
        if ((type(y_true) in _SCALARS or np.ndim(y_true) == 0)
                and (type(y_pred) in _SCALARS or np.ndim(y_pred) == 0)):
            return self._update_one(y_true, y_pred, sensitive_features, sample_weight)
        y_true = _as_1d(np.atleast_1d(np.asarray(y_true, dtype=object) if isinstance(y_true, list)
                                      else y_true), "y_true")
        n = y_true.shape[0]
        y_pred = _as_1d(np.atleast_1d(y_pred), "y_pred", n)
        weight = None
        if sample_weight is not None:
            weight = _as_1d(np.atleast_1d(sample_weight), "sample_weight", n)
            try:
                weight = weight.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"sample_weight must be numeric: {exc}") from exc
            if np.any(weight < 0) or not np.all(np.isfinite(weight)):
                raise ValueError("sample_weight must be finite and non-negative.")
        if sensitive_features is None:
            raise ValueError("sensitive_features is required.")
        if n == 0:
            check_sensitive_features(sensitive_features, 0)
            return self
        self._flush()
        reg = self._regression_terms(y_true, y_pred) if self._regression else None
        encoder = self.encoder_.copy()
        codes, entry = _chunk_group_codes(encoder, sensitive_features, n, self._memo)
        cells = np.left_shift(np.asarray(y_true == self._pos_label, dtype=np.int8), 2)
        cells |= np.left_shift(np.asarray(y_pred == self._pos_label, dtype=np.int8), 1)
        cells |= np.asarray(y_true == y_pred, dtype=np.int8)
        self._ingest(encoder, codes, cells, weight, reg)
        if entry is not None and len(self._memo) < 64:
            self._memo[entry[0]] = entry[1]
        return self

    def _ingest(self, encoder, codes, cells, weight, reg):
        weighted = weight is not None or self._decay is not None
        n = len(codes)
        if weight is None:
            weight = np.ones(n)
        if self._decay is not None:
            weight = weight * self._decay ** np.arange(n - 1, -1, -1, dtype=np.float64)
        self._commit(encoder, codes, cells, weight, reg, weighted)

    def _flush(self):
        """Add the buffered one-event updates (validated already) as one chunk."""
        codes, cells, weights, regs = self._pending
        if not codes:
            return
        self._pending = ([], [], [], [])
        weight = None if all(w is None for w in weights) else np.array(
            [1.0 if w is None else w for w in weights])
        reg = np.array(regs) if self._regression else None
        self.n_rows_seen_ -= len(codes)  # _commit counts them
        self._ingest(self.encoder_, np.array(codes, dtype=np.int64),
                     np.array(cells, dtype=np.int8), weight, reg)

    @property
    def _stats(self):
        self._flush()
        return self._table

    def __getstate__(self):
        self._flush()
        return self.__dict__

    def _regression_terms(self, y_true, y_pred):
        try:
            yt, yp = y_true.astype(np.float64), y_pred.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError("regression metrics need numeric y_true and y_pred: "
                            f"{exc}") from exc
        for arr, name in ((yt, "y_true"), (yp, "y_pred")):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or infinity.")
        diff = yt - yp
        return np.column_stack([yp, diff * diff, np.abs(diff)])

    def _commit(self, encoder, codes, cells, weight, reg, weighted):
        n_groups = encoder.n_groups
        # weighted sums stay divided by a power of two that keeps them (and their squares) finite
        scale = weight_scale(weight, self._scale)
        stats = np.zeros((n_groups, _N_STATS))
        stats[: self._table.shape[0]] = _rescale(self._table, self._scale / scale)
        ring = self._ring
        if ring is not None:
            ring = ring.copy()
            m = len(codes)
            if m >= ring.capacity:
                keep = slice(m - ring.capacity, m)
                ring.code[:], ring.cell[:], ring.weight[:] = codes[keep], cells[keep], weight[keep]
                if reg is not None:
                    ring.reg[:] = reg[keep]
                ring.size, ring.head = ring.capacity, 0
                stats, scale = self._exact(ring, n_groups, weighted or self._weighted)
                since = 0
            else:
                drop = max(0, ring.size + m - ring.capacity)
                if drop:
                    idx = (ring.head + np.arange(drop)) % ring.capacity
                    old = _chunk_stats(n_groups, ring.code[idx], ring.cell[idx].astype(np.int64),
                                       ring.weight[idx],
                                       None if reg is None else ring.reg[idx], True, scale)
                    stats -= old
                pos = (ring.head + ring.size + np.arange(m)) % ring.capacity
                ring.code[pos], ring.cell[pos], ring.weight[pos] = codes, cells, weight
                if reg is not None:
                    ring.reg[pos] = reg
                ring.head = (ring.head + drop) % ring.capacity
                ring.size = ring.size + m - drop
                stats += _chunk_stats(n_groups, codes, cells.astype(np.int64), weight, reg,
                                      weighted, scale)
                since = self._since_exact + m
                if since >= ring.capacity:  # subtractions of float weights: resum exactly
                    stats, scale = self._exact(ring, n_groups, weighted or self._weighted)
                    since = 0
        else:
            if self._decay is not None:
                stats[:, _N + 1:] *= self._decay ** len(codes)
                stats[:, _W2N] *= self._decay ** len(codes)  # squared weights decay twice
                stats[:, _W2P] *= self._decay ** len(codes)
            stats += _chunk_stats(n_groups, codes, cells.astype(np.int64), weight, reg, weighted,
                                  scale)
            since = 0
        # commit (nothing above changed self)
        self.encoder_, self._table, self._ring, self._scale = encoder, stats, ring, scale
        self._since_exact = since
        self._weighted = self._weighted or weighted
        self.n_rows_seen_ += len(codes)

    def _exact(self, ring, n_groups, weighted):
        """The window's statistics summed afresh, and the scale they are divided by (that of
        the rows now in the window: huge weights that left it no longer set it)."""
        code, cell, weight, reg = ring.ordered()
        scale = weight_scale(weight, 1.0)
        return _chunk_stats(n_groups, code, cell.astype(np.int64), weight, reg, weighted,
                            scale), scale

    def _update_one(self, y_true, y_pred, sensitive_features, sample_weight):
        """One event given as scalars: the per-event fast path (same validation, same result)."""
        for value, name in ((y_true, "y_true"), (y_pred, "y_pred")):
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                raise ValueError(f"{name} contains missing values, NaN or infinity.")
        weight = 1.0
        if sample_weight is not None:
            if isinstance(sample_weight, bool) or not isinstance(sample_weight, numbers.Real):
                raise TypeError(f"sample_weight must be a real number, got {sample_weight!r}.")
            weight = float(sample_weight)
            if not (weight >= 0 and math.isfinite(weight)):
                raise ValueError("sample_weight must be finite and non-negative.")
        if sensitive_features is None:
            raise ValueError("sensitive_features is required.")
        encoder = self.encoder_
        columns = encoder.columns_
        if isinstance(sensitive_features, dict):
            if columns is not None and set(map(str, sensitive_features)) != set(columns):
                raise ValueError(f"sensitive_features has attributes {list(sensitive_features)}, "
                                 f"expected {columns}.")
            names = [str(k) for k in sensitive_features] if columns is None else columns
            mapping = {str(k): v for k, v in sensitive_features.items()}
            labels = tuple(mapping[c] for c in names)
        else:
            names = None
            labels = (sensitive_features if isinstance(sensitive_features, tuple)
                      else (sensitive_features,))
        key = tuple(v if type(v) is str else _as_python_scalar(v, "sensitive_features")
                    for v in labels)
        for v in key:
            if v is None or (type(v) is float and v != v):
                raise ValueError("sensitive_features contains missing values (None/NaN); every "
                                 "sample needs a group.")
        if columns is not None and len(key) != len(columns):
            raise ValueError(f"sensitive_features has {len(key)} columns but the frame has "
                             f"{len(columns)} ({columns}).")
        code = encoder._index.get(key[0] if len(key) == 1 else key)
        reg = None
        if self._regression:
            reg = self._regression_terms(np.array([y_true]), np.array([y_pred]))[0]
        if code is None:  # a new group: through the shared encoder (rare)
            values = np.empty((1, len(key)), dtype=object)
            values[0] = list(key)
            new = encoder.copy()
            cols = names or columns or [f"sensitive_feature_{j}" for j in range(len(key))]
            if new.columns_ is None:
                check_sensitive_features(values, 1)
            code = int(new.encode(values, cols, update=True)[0])
            self.encoder_ = new
        pos = self._pos_label
        codes, cells, weights, regs = self._pending
        codes.append(code)
        cells.append(((y_true == pos) << 2) | ((y_pred == pos) << 1) | (y_true == y_pred))
        weights.append(None if sample_weight is None else weight)
        if reg is not None:
            regs.append(reg)
        self.n_rows_seen_ += 1
        if len(codes) >= 4096:
            self._flush()
        return self

    # ---- combining -------------------------------------------------------------------------
    def _check_compatible(self, other):
        if not isinstance(other, StreamingMetricFrame):
            raise TypeError(f"can only merge a StreamingMetricFrame, got {type(other).__name__}.")
        for attr in ("_metrics", "_window", "_decay", "_pos_label"):
            if getattr(self, attr) != getattr(other, attr):
                raise ValueError(f"cannot merge frames with different {attr.lstrip('_')}: "
                                 f"{getattr(self, attr)!r} vs {getattr(other, attr)!r}.")
        if (self.encoder_.columns_ and other.encoder_.columns_
                and self.encoder_.columns_ != other.encoder_.columns_):
            raise ValueError("cannot merge frames with different sensitive features: "
                             f"{self.encoder_.columns_} vs {other.encoder_.columns_}.")

    def merge(self, other):
        """A new frame covering this frame's rows followed by ``other``'s.

        Exact for cumulative and decayed frames (the decayed sums of ``self`` age by the number
        of rows of ``other``); windowed frames keep the last ``window`` rows of the two in stream
        order. ``a + b`` is ``a.merge(b)``.

        Parameters
        ----------
        other : StreamingMetricFrame
            Same metrics, window, decay and pos_label; fed with the rows after this frame's.

        Returns
        -------
        StreamingMetricFrame
        """
        self._check_compatible(other)
        out = self._empty_like()
        encoder = self.encoder_.copy()
        if other.encoder_.n_groups:
            cols = other.encoder_.columns_
            width = len(cols) if cols else 1
            values = np.empty((other.encoder_.n_groups, width), dtype=object)
            for i, g in enumerate(other.encoder_.groups_):
                values[i] = list(g) if width > 1 else [g]
            mapping = encoder.encode(values, cols, update=True)
        else:
            mapping = np.zeros(0, dtype=np.int64)
        n_groups = encoder.n_groups
        scale = max(self._scale, other._scale)  # both powers of two: the rescaling is exact
        mine = np.zeros((n_groups, _N_STATS))
        mine[: self._stats.shape[0]] = _rescale(self._stats, self._scale / scale)
        theirs = np.zeros((n_groups, _N_STATS))
        np.add.at(theirs, mapping, _rescale(other._stats, other._scale / scale))
        out._scale = scale
        out.encoder_ = encoder
        out._weighted = self._weighted or other._weighted
        out.n_rows_seen_ = self.n_rows_seen_ + other.n_rows_seen_
        if self._ring is not None:
            a, b = self._ring.ordered(), other._ring.ordered()
            code = np.concatenate([a[0], mapping[b[0]]])
            cell = np.concatenate([a[1], b[1]])
            weight = np.concatenate([a[2], b[2]])
            reg = None if a[3] is None else np.concatenate([a[3], b[3]])
            keep = slice(max(0, len(code) - self._window), len(code))
            ring = out._ring
            ring.size = len(code[keep])
            ring.code[: ring.size], ring.cell[: ring.size] = code[keep], cell[keep]
            ring.weight[: ring.size] = weight[keep]
            if reg is not None:
                ring.reg[: ring.size] = reg[keep]
            out._table, out._scale = out._exact(ring, n_groups, out._weighted)
            return out
        if self._decay is not None:
            age = self._decay ** other.n_rows_seen_
            mine[:, _N + 1:] *= age
            mine[:, [_W2N, _W2P]] *= age
        out._table = mine + theirs
        return out

    __add__ = merge

    def _empty_like(self):
        new = StreamingMetricFrame.__new__(StreamingMetricFrame)
        StreamingMetricFrame.__init__(new, "count", window=self._window, decay=self._decay,
                                      pos_label=self._pos_label)
        new._metrics, new._single, new._regression = (dict(self._metrics), self._single,
                                                      self._regression)
        new._ring = _Ring(self._window, self._regression) if self._window is not None else None
        return new

    def copy(self):
        """An independent copy."""
        return self._empty_like() + self

    # ---- results ----------------------------------------------------------------------------
    def _index(self):
        groups, columns = self.encoder_.groups_, self.encoder_.columns_
        if groups and isinstance(groups[0], tuple):
            return pd.MultiIndex.from_tuples(groups, names=columns)
        return pd.Index(groups, name=columns[0] if columns else None, dtype=object)

    def _values(self, stats, present):
        out = {}
        for name, metric in self._metrics.items():
            values = np.asarray(STREAMING_METRICS[metric][0](stats), dtype=np.float64)
            out[name] = np.where(present, values, np.nan)
        return out

    def _require_data(self, weighted_metric=None):
        if self.n_rows_seen_ == 0:
            raise ValueError("No rows yet: call update() with a non-empty chunk first.")
        if weighted_metric is None:
            weighted_metric = any(m != "count" for m in self._metrics.values())
        if self._weighted and weighted_metric:  # all-zero weights: 0 / 0 everywhere
            stats = self._stats
            check_some_weight(_w(stats).sum(), stats[:, _N].sum(), "rows the frame covers")

    @property
    def by_group(self):
        """Metrics per group (Series for one metric name, else DataFrame), sorted by group."""
        self._require_data()
        present = self._stats[:, _N] > 0
        table = pd.DataFrame(self._values(self._stats, present), index=self._index())
        try:
            table = table.sort_index()
        except TypeError:  # labels of mixed types that do not compare
            pass
        if self._single:
            return table.iloc[:, 0]
        return table

    @property
    def overall(self):
        """Metrics over all covered rows (scalar for one metric name, else Series)."""
        self._require_data()
        total = self._stats.sum(axis=0)
        values = self._values(total, total[_N] > 0)
        if self._single:
            return float(next(iter(values.values())))
        return pd.Series({k: float(v) for k, v in values.items()}, dtype=np.float64)

    def group_min(self):
        """Smallest per-group value of each metric (NaN groups skipped)."""
        return self._reduce(self.by_group.min())

    def group_max(self):
        """Largest per-group value of each metric (NaN groups skipped)."""
        return self._reduce(self.by_group.max())

    def _reduce(self, value):
        return float(value) if self._single else value.astype(np.float64)

    def difference(self, method="between_groups"):
        """``group_max() - group_min()``, or the largest absolute gap to ``overall``.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
        """
        if method == "between_groups":
            return self._reduce(self.by_group.max() - self.by_group.min())
        if method == "to_overall":
            return self._reduce((self.by_group - self.overall).abs().max())
        raise ValueError(f"method must be 'between_groups' or 'to_overall', got {method!r}.")

    def ratio(self, method="between_groups"):
        """``group_min() / group_max()``, or the smallest group/overall ratio taken below 1.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            if method == "between_groups":
                return self._reduce(self.by_group.min() / self.by_group.max())
            if method == "to_overall":
                ratios = self.by_group / self.overall
                ratios = ratios.where(~(ratios > 1), 1 / ratios)
                return self._reduce(ratios.min())
        raise ValueError(f"method must be 'between_groups' or 'to_overall', got {method!r}.")

    # ---- state access used by the intervals ----------------------------------------------------
    def _rate_counts(self, metric):
        """Per-group (successes, trials, effective trials) of a binary rate metric."""
        name = self._metrics.get(metric, metric)
        if name not in _RATES:
            raise ValueError(f"intervals exist for the binary rates {sorted(_RATES)}, not "
                             f"{metric!r}.")
        if name not in self._metrics.values():
            raise ValueError(f"{metric!r} is not one of this frame's metrics "
                             f"{list(self._metrics)}.")
        self._require_data(weighted_metric=True)
        num, den, sq = _RATES[name]
        s = self._stats
        successes = s[:, list(num)].sum(axis=1)
        trials = s[:, list(den)].sum(axis=1)
        squares = s[:, list(sq)].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = np.where(squares > 0, trials * trials / np.where(squares > 0, squares, 1), 0.0)
        return successes, trials, n_eff

    @fill_doc(metric_and_level=_METRIC_AND_LEVEL)
    def interval(self, metric, *, level=0.95, kind="wilson", tuned_n=1000):
        """Per-group confidence intervals of a binary rate.

        Parameters
        ----------
        %(metric_and_level)s
        kind : {"wilson", "exact", "sequence"}, default="wilson"
            ``"wilson"``: fixed-time Wilson score intervals (weighted or decayed frames use the
            effective sample size ``(sum w)^2 / sum w^2``); ``"exact"``: fixed-time
            Clopper-Pearson intervals (coverage at least ``level`` at every rate, wider than
            Wilson's; same effective sample size); ``"sequence"``: anytime-valid
            confidence sequences, valid at every update simultaneously (cumulative, unweighted
            frames only; :func:`~fairlearn_online.metrics.confidence_sequence`).
        tuned_n : float, default=1000
            Where the sequence is tightest (``kind="sequence"`` only).

        Returns
        -------
        DataFrame
            Per group: ``value``, ``lower``, ``upper`` and ``n`` (the trials; effective for
            weighted frames). Groups without a trial in the window are NaN.
        """
        successes, trials, n_eff = self._rate_counts(metric)
        lower, upper = self._bounds(successes, trials, n_eff, level, kind, tuned_n)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(trials > 0, successes / np.where(trials > 0, trials, 1), np.nan)
        table = pd.DataFrame({"value": value, "lower": lower, "upper": upper, "n": n_eff},
                             index=self._index())
        table.loc[trials <= 0, ["lower", "upper"]] = np.nan
        try:
            return table.sort_index()
        except TypeError:
            return table

    def _bounds(self, successes, trials, n_eff, level, kind, tuned_n):
        from ._intervals import clopper_pearson_interval, confidence_sequence, wilson_interval

        if kind in ("wilson", "exact"):
            with np.errstate(invalid="ignore", divide="ignore"):
                p = np.where(trials > 0, successes / np.where(trials > 0, trials, 1), 0.0)
            fixed_time = wilson_interval if kind == "wilson" else clopper_pearson_interval
            return fixed_time(p * n_eff, n_eff, level)
        if kind == "sequence":
            if self._window is not None or self._decay is not None or self._weighted:
                raise ValueError("kind='sequence' (anytime-valid) needs a cumulative, unweighted "
                                 "frame; use kind='wilson' or 'exact' for windows, decay or "
                                 "weights.")
            return confidence_sequence(successes, trials, level, tuned_n=tuned_n)
        raise ValueError(f"kind must be 'wilson', 'exact' or 'sequence', got {kind!r}.")

    @fill_doc(between_group_interval_sections=_BETWEEN_GROUP_INTERVAL_SECTIONS)
    def difference_interval(self, metric, *, level=0.95, kind="wilson", tuned_n=1000):
        """Confidence interval of the between-group difference (max minus min) of a rate.

        With two groups and ``kind="wilson"``: Newcombe's hybrid score interval for the
        difference of the two rates (its sign taken so that it bounds max minus min). Otherwise
        (more groups, ``kind="exact"`` or ``kind="sequence"``): the range of per-group
        intervals at level
        ``1 - (1 - level) / k`` (Bonferroni over the ``k`` groups with a trial), which covers
        every group at once and hence the difference; with ``kind="sequence"`` it holds at
        every update simultaneously.

        %(between_group_interval_sections)s
        """
        from ._intervals import newcombe_interval, range_bounds

        s, t, ne = self._rate_counts_of_groups_with_trials(metric)
        if len(s) < 2:
            return {"value": 0.0 if len(s) else np.nan, "lower": np.nan, "upper": np.nan}
        rates = s / t
        value = float(rates.max() - rates.min())
        if kind == "wilson" and len(s) == 2:
            hi, lo = (0, 1) if rates[0] >= rates[1] else (1, 0)
            lower, upper = newcombe_interval(rates[hi] * ne[hi], ne[hi], rates[lo] * ne[lo],
                                             ne[lo], level)
            return {"value": value, "lower": max(0.0, float(lower)), "upper": float(upper)}
        level_k = 1 - (1 - level) / len(s)
        lower, upper = self._bounds(s, t, ne, level_k, kind, tuned_n)
        lo, hi = range_bounds(lower, upper)
        return {"value": value, "lower": lo, "upper": hi}

    def _rate_counts_of_groups_with_trials(self, metric):
        """:meth:`_rate_counts` restricted to the groups with at least one trial."""
        successes, trials, n_eff = self._rate_counts(metric)
        keep = trials > 0
        return successes[keep], trials[keep], n_eff[keep]

    @fill_doc(between_group_interval_sections=_BETWEEN_GROUP_INTERVAL_SECTIONS)
    def ratio_interval(self, metric, *, level=0.95, kind="wilson", tuned_n=1000):
        """Confidence interval of the between-group ratio (min / max) of a rate, from per-group
        intervals at level ``1 - (1 - level) / k`` (Bonferroni; see :meth:`difference_interval`).

        %(between_group_interval_sections)s
        """
        from ._intervals import ratio_bounds

        s, t, ne = self._rate_counts_of_groups_with_trials(metric)
        if len(s) < 2:
            return {"value": 1.0 if len(s) else np.nan, "lower": np.nan, "upper": np.nan}
        rates = s / t
        with np.errstate(invalid="ignore", divide="ignore"):
            value = float(rates.min() / rates.max())
        lower, upper = self._bounds(s, t, ne, 1 - (1 - level) / len(s), kind, tuned_n)
        lo, hi = ratio_bounds(lower, upper)
        return {"value": value, "lower": lo, "upper": hi}

    def __repr__(self):
        kind = (f"window={self._window}" if self._window else
                f"decay={self._decay}" if self._decay else "cumulative")
        return (f"StreamingMetricFrame({list(self._metrics.values())}, {kind}, "
                f"{self.n_rows_seen_} rows, {self.encoder_.n_groups} groups)")
