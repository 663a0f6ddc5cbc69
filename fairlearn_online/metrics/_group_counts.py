"""Streaming group-fairness metrics (docs/user_guide/metrics.md).

All metrics derive from one sufficient statistic: per group, the (weighted) confusion counts of
the binary events ``y_true == pos_label`` and ``y_pred == pos_label``, plus the weight of correct
predictions. Counts add over chunks, so a metric fed chunk by chunk equals the batch metric on
the concatenated data, whatever the chunking. Group-level conventions follow fairlearn:

* selection rate = P(y_pred = pos_label | group);
* TPR = P(y_pred = pos | y_true = pos, group), FPR = P(y_pred = pos | y_true = neg, group), with
  a rate of 0 when its denominator is empty (scikit-learn's normalized confusion matrix);
* ``method="between_groups"``: max minus min over groups (ratio: min / max);
  ``method="to_overall"``: largest absolute gap to the overall rate (ratio: smallest of
  group/overall and overall/group);
* intersectional groups (several sensitive columns) are the rows' tuples.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._core.deprecation import renamed_attribute
from ..base import GroupEncoder, check_sensitive_features, group_names, sort_groups

__all__ = [
    "GroupConfusionCounts",
    "Accuracy",
    "SelectionRateByGroup",
    "TruePositiveRateByGroup",
    "FalsePositiveRateByGroup",
    "DemographicParityDifference",
    "DemographicParityRatio",
    "EqualizedOddsDifference",
    "EqualizedOddsRatio",
    "EqualOpportunityDifference",
    "EqualOpportunityRatio",
    "FairnessReport",
]

_TN, _FP, _FN, _TP, _CORRECT = range(5)
#: weights are divided by a power of two when one exceeds this: sums (and sums of squares) of
#: the divided weights stay finite for any realistic number of rows
_MAX_WEIGHT = 2.0 ** 400


def weight_scale(weight, scale):
    """The power of two that the weighted sums are kept divided by, after a chunk ``weight``.

    ``scale`` is the current one; it grows (never shrinks) once a weight exceeds
    ``_MAX_WEIGHT * scale``, to the power of two just below that weight, so that a table rescaled
    by ``old_scale / new_scale`` changes exactly (a power of two) and every ratio of sums is that
    of the unscaled weights. Weights of ordinary size keep ``scale`` at 1 (the same bits).
    """
    top = float(np.max(weight)) if len(weight) else 0.0
    if top / scale > _MAX_WEIGHT:
        return math.ldexp(1.0, math.frexp(top)[1] - 1)  # top / scale in [1, 2)
    return scale


def check_some_weight(total_weight, n_rows, what="samples seen"):
    """A clear ``ValueError`` when rows were seen but all their weights are 0 (0 / 0 rates)."""
    if n_rows and not total_weight > 0:
        raise ValueError(
            f"sample_weight is 0 for all {int(n_rows)} {what}: weighted rates are undefined "
            "(0 / 0). Give at least one sample a positive weight.")


def _as_1d(values, name, n=None):
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if arr.ndim == 0:  # a scalar is one sample, as fairlearn's selection_rate accepts
        arr = arr.reshape(1)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}.")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries, expected {n} (length of y_true).")
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if arr.dtype.kind == "O" and len(arr) and pd.isna(pd.Series(arr)).any():
        raise ValueError(f"{name} contains missing values.")
    return arr


class GroupConfusionCounts:
    """Per-group weighted confusion counts, updated chunk by chunk.

    Parameters
    ----------
    pos_label : scalar, default=1
        The label treated as the positive (selected) outcome.

    Attributes
    ----------
    counts_ : ndarray of shape (n_groups, 5)
        Per group: weights of true negatives, false positives, false negatives, true positives,
        and of correct predictions (``y_pred == y_true``, any label), divided by ``scale_``.
    rows_ : ndarray of shape (n_groups,)
        Rows seen per group, whatever their weights (fairlearn's ``count``).
    scale_ : float
        A power of two dividing every weight (1 unless weights above ``2**512`` were seen): the
        rates are ratios of counts, so they do not depend on it, and weights of 1e308 do not
        overflow the sums.
    encoder_ : GroupEncoder
        Group labels in order of first appearance.
    groups_ : list
        The same labels, as a list (the library's one name for the learned groups).
    """

    def __init__(self, pos_label=1):
        self.pos_label = pos_label
        self.encoder_ = GroupEncoder()
        self.counts_ = np.zeros((0, 5))
        self.rows_ = np.zeros(0, dtype=np.int64)
        self.scale_ = 1.0

    def update(self, y_true, y_pred, sensitive_features, *, sample_weight=None):
        """Add a chunk. Validates everything before changing any count.

        Parameters
        ----------
        y_true, y_pred : array-like of shape (n,)
        sensitive_features : array-like of shape (n,) or (n, n_attributes)
        sample_weight : array-like of shape (n,), optional
            Non-negative finite weights.

        Returns
        -------
        self
        """
        y_true = _as_1d(y_true, "y_true")
        n = y_true.shape[0]
        y_pred = _as_1d(y_pred, "y_pred", n)
        if sample_weight is None:
            weight = np.ones(n)
        else:
            try:
                weight = _as_1d(sample_weight, "sample_weight", n).astype(np.float64)
            except (TypeError, ValueError) as exc:
                if "sample_weight" in str(exc):
                    raise
                raise TypeError(f"sample_weight must be numeric: {exc}") from exc
            if not np.all(np.isfinite(weight)):
                raise ValueError("sample_weight contains NaN or infinity.")
            if np.any(weight < 0):
                raise ValueError("sample_weight must be non-negative.")
        if n == 0:
            return self  # an empty chunk changes nothing
        scale = weight_scale(weight, self.scale_)  # sums of huge weights would overflow
        weight = weight / scale
        values, columns = check_sensitive_features(sensitive_features, n)
        encoder = self.encoder_.copy()
        codes = encoder.encode(values, columns, update=True)
        true_pos = (y_true == self.pos_label).astype(np.int64)
        pred_pos = (y_pred == self.pos_label).astype(np.int64)
        cell = 2 * true_pos + pred_pos  # 0 TN, 1 FP, 2 FN, 3 TP
        counts = np.zeros((encoder.n_groups, 5))
        counts[: self.counts_.shape[0]] = self.counts_ * (self.scale_ / scale)  # exact
        np.add.at(counts, (codes, cell), weight)
        np.add.at(counts[:, _CORRECT], codes, weight * (y_true == y_pred))
        rows = np.zeros(encoder.n_groups, dtype=np.int64)
        rows[: self.rows_.shape[0]] = self.rows_
        rows += np.bincount(codes, minlength=encoder.n_groups)
        self.encoder_, self.counts_, self.rows_, self.scale_ = encoder, counts, rows, scale
        return self

    # ---- derived quantities ---------------------------------------------------------------
    @property
    def groups_(self) -> list:
        """The groups seen so far, in the order of their codes (as every estimator's)."""
        return list(self.encoder_.groups_)

    groups = renamed_attribute("groups", "groups_")

    def _require_data(self):
        if self.rows_.sum() == 0:
            raise ValueError("No samples seen yet: call update() with a non-empty chunk first.")
        check_some_weight(self.counts_[:, :4].sum(), self.rows_.sum())

    def weight_sum(self, overall=False):
        """Total weight per group (or overall); ``inf`` if it exceeds the float range."""
        with np.errstate(over="ignore"):
            totals = self.counts_[:, :4].sum(axis=1) * self.scale_
        return float(totals.sum()) if overall else totals

    def _totals(self):
        c = self.counts_
        return c[:, :4].sum(axis=1), c

    def _rate(self, num_cols, den_cols, *, overall=False, empty=0.0):
        c = self.counts_.sum(axis=0, keepdims=True) if overall else self.counts_
        num = c[:, num_cols].sum(axis=1)
        den = c[:, den_cols].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)
        return rate[0] if overall else rate

    def selection_rate(self, overall=False):
        return self._rate([_FP, _TP], [_TN, _FP, _FN, _TP], overall=overall)

    def true_positive_rate(self, overall=False):
        return self._rate([_TP], [_FN, _TP], overall=overall)

    def false_positive_rate(self, overall=False):
        return self._rate([_FP], [_TN, _FP], overall=overall)

    def accuracy(self, overall=False):
        return self._rate([_CORRECT], [_TN, _FP, _FN, _TP], overall=overall, empty=np.nan)

    def by_group(self, rates: np.ndarray) -> pd.Series:
        """Rates as a Series indexed by group, sorted like fairlearn's ``MetricFrame.by_group``."""
        groups = self.encoder_.groups_
        columns = self.encoder_.columns_
        if columns is not None and len(columns) > 1:
            index = pd.MultiIndex.from_tuples(groups, names=columns)
        else:  # one attribute, whose labels may be tuples (a 1-D Series of tuples)
            index = pd.Index(groups, name=columns[0] if columns else None, dtype=object,
                             tupleize_cols=False)
        seen = self.counts_[:, :4].sum(axis=1) > 0
        order = [i for i in sort_groups(groups) if seen[i]]  # mixed types: numbers first
        return pd.Series(rates, index=index).iloc[order]


def _difference(group_rates, overall_rate, method):
    if method == "between_groups":
        return float(np.max(group_rates) - np.min(group_rates))
    if method == "to_overall":
        return float(np.max(np.abs(group_rates - overall_rate)))
    raise ValueError(f"method must be 'between_groups' or 'to_overall', got {method!r}.")


def _ratio(group_rates, overall_rate, method):
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "between_groups":
            return float(np.min(group_rates) / np.max(group_rates))
        if method == "to_overall":
            ratios = np.minimum(group_rates / overall_rate, overall_rate / group_rates)
            return float(np.min(ratios))
    raise ValueError(f"method must be 'between_groups' or 'to_overall', got {method!r}.")


class _StreamingMetric:
    """A metric fed with ``update(y_true, y_pred, sensitive_features)``, read with ``get()``."""

    def __init__(self, *, pos_label=1):
        self.pos_label = pos_label
        self.counts = GroupConfusionCounts(pos_label=pos_label)

    def update(self, y_true, y_pred, sensitive_features=None, *, sample_weight=None):
        if sensitive_features is None:
            sensitive_features = np.zeros(len(np.asarray(y_true)), dtype=np.int64)
        self.counts.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight)
        return self

    def _seen(self):
        self.counts._require_data()
        return self.counts.counts_[:, :4].sum(axis=1) > 0

    def __repr__(self):
        try:
            value = self.get()
        except ValueError:
            value = "no data"
        return f"{type(self).__name__}: {value}"


class Accuracy(_StreamingMetric):
    """Running accuracy (fraction of ``y_pred == y_true``; sensitive features optional).

    Parameters
    ----------
    pos_label : scalar, default=1
        Unused by the accuracy; kept so that every running metric is built alike.
    """

    def get(self) -> float:
        self._seen()
        return float(self.counts.accuracy(overall=True))


class _RateByGroup(_StreamingMetric):
    """A rate of :class:`GroupConfusionCounts` (the method named ``_rate``) per group, as a
    Series indexed by group."""

    _rate = None

    def get(self) -> pd.Series:
        self._seen()
        return self.counts.by_group(getattr(self.counts, self._rate)())


class SelectionRateByGroup(_RateByGroup):
    """Running P(y_pred = pos_label) per group, as a Series indexed by group.

    Parameters
    ----------
    pos_label : scalar, default=1
        The label counted as selected.
    """

    _rate = "selection_rate"


class TruePositiveRateByGroup(_RateByGroup):
    """Running true positive rate per group (0 for a group with no positive label yet).

    Parameters
    ----------
    pos_label : scalar, default=1
        The positive label (of ``y_true`` and ``y_pred``).
    """

    _rate = "true_positive_rate"


class FalsePositiveRateByGroup(_RateByGroup):
    """Running false positive rate per group (0 for a group with no negative label yet).

    Parameters
    ----------
    pos_label : scalar, default=1
        The positive label; every other label is negative.
    """

    _rate = "false_positive_rate"


class DemographicParityDifference(_StreamingMetric):
    """Running demographic-parity difference (fairlearn's definition).

    Parameters
    ----------
    method : {"between_groups", "to_overall"}, default="between_groups"
    pos_label : scalar, default=1
    """

    def __init__(self, *, method="between_groups", pos_label=1):
        super().__init__(pos_label=pos_label)
        _difference(np.zeros(1), 0.0, method)  # validates method early
        self.method = method

    #: the rate of :class:`GroupConfusionCounts` compared between groups, and how
    _rate = "selection_rate"
    _compare = staticmethod(_difference)

    def get(self) -> float:
        seen = self._seen()
        rate = getattr(self.counts, self._rate)
        return self._compare(rate()[seen], rate(overall=True), self.method)


class DemographicParityRatio(DemographicParityDifference):
    """Running demographic-parity ratio (min / max selection rate; fairlearn's definition).

    Parameters
    ----------
    method : {"between_groups", "to_overall"}, default="between_groups"
        Smallest ratio between two groups, or of a group to the overall rate.
    pos_label : scalar, default=1
    """

    _compare = staticmethod(_ratio)


class EqualizedOddsDifference(_StreamingMetric):
    """Running equalized-odds difference: the larger (``agg="worst_case"``) or the mean
    (``agg="mean"``) of the TPR and FPR differences, as in fairlearn.

    Parameters
    ----------
    method : {"between_groups", "to_overall"}, default="between_groups"
        Gaps between groups, or of each group to the overall rate.
    agg : {"worst_case", "mean"}, default="worst_case"
        How the TPR and FPR gaps combine.
    pos_label : scalar, default=1
    """

    def __init__(self, *, method="between_groups", agg="worst_case", pos_label=1):
        super().__init__(pos_label=pos_label)
        _difference(np.zeros(1), 0.0, method)
        if agg not in ("worst_case", "mean"):
            raise ValueError(f"agg must be 'worst_case' or 'mean', got {agg!r}.")
        self.method, self.agg = method, agg

    #: how the TPR and FPR of the groups are compared, and the worst of the two comparisons
    _compare = staticmethod(_difference)
    _worst = staticmethod(max)

    def get(self) -> float:
        seen = self._seen()
        tpr, fpr = (self._compare(rate()[seen], rate(overall=True), self.method)
                    for rate in (self.counts.true_positive_rate, self.counts.false_positive_rate))
        return self._worst(tpr, fpr) if self.agg == "worst_case" else (tpr + fpr) / 2


class EqualizedOddsRatio(EqualizedOddsDifference):
    """Running equalized-odds ratio: the smaller (``agg="worst_case"``) or the mean
    (``agg="mean"``) of the TPR and FPR ratios, as fairlearn's ``equalized_odds_ratio``.

    Parameters
    ----------
    method : {"between_groups", "to_overall"}, default="between_groups"
    agg : {"worst_case", "mean"}, default="worst_case"
        How the TPR and FPR ratios combine.
    pos_label : scalar, default=1
    """

    _compare = staticmethod(_ratio)
    _worst = staticmethod(min)


class EqualOpportunityDifference(DemographicParityDifference):
    """Running equal-opportunity difference: the between-group gap of the true positive rate
    (fairlearn's ``equal_opportunity_difference``).

    Parameters
    ----------
    method : {"between_groups", "to_overall"}, default="between_groups"
        Gap between groups, or largest gap of a group to the overall rate.
    pos_label : scalar, default=1
    """

    _rate = "true_positive_rate"


class EqualOpportunityRatio(DemographicParityDifference):
    """Running equal-opportunity ratio: min / max true positive rate over groups
    (fairlearn's ``equal_opportunity_ratio``).

    Parameters
    ----------
    method : {"between_groups", "to_overall"}, default="between_groups"
        Ratio between groups, or of each group to the overall rate.
    pos_label : scalar, default=1
    """

    _rate = "true_positive_rate"
    _compare = staticmethod(_ratio)


class FairnessReport(_StreamingMetric):
    """All running metrics at once: one set of counts, one ``get()`` returning a flat dict.

    Keys: ``n_samples``, ``accuracy``, ``selection_rate``, ``demographic_parity_difference``,
    ``demographic_parity_ratio``, ``equalized_odds_difference``, and per group
    ``selection_rate[<group>]``, ``true_positive_rate[<group>]``, ``false_positive_rate[<group>]``.

    Parameters
    ----------
    pos_label : scalar, default=1
        The positive (selected) label of every rate in the report.
    """

    def get(self) -> dict:
        seen = self._seen()
        c = self.counts
        sel = c.selection_rate()
        tpr, fpr = c.true_positive_rate(), c.false_positive_rate()
        overall_sel = c.selection_rate(overall=True)
        out = {
            "n_samples": c.weight_sum(overall=True),
            "accuracy": float(c.accuracy(overall=True)),
            "selection_rate": float(overall_sel),
            "demographic_parity_difference": _difference(sel[seen], overall_sel, "between_groups"),
            "demographic_parity_ratio": _ratio(sel[seen], overall_sel, "between_groups"),
            "equalized_odds_difference": max(
                _difference(tpr[seen], 0.0, "between_groups"),
                _difference(fpr[seen], 0.0, "between_groups")),
        }
        for name, rates in (("selection_rate", sel), ("true_positive_rate", tpr),
                            ("false_positive_rate", fpr)):
            by_group = c.by_group(rates)
            for group, rate in zip(group_names(list(by_group.index)), by_group.to_numpy()):
                out[f"{name}[{group}]"] = float(rate)
        return out


def _group_name(group) -> str:
    """Plain display name of one group (``"a,x"`` for a tuple); ``group_names`` of the shared
    core makes a list of names distinct (``1`` and ``"1"``)."""
    return ",".join(map(str, group)) if isinstance(group, tuple) else str(group)
