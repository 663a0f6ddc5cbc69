"""Batch group-fairness metrics with fairlearn's names and signatures.

Each function feeds the data once through the streaming counts of ``_group_counts`` so the batch
and streaming numbers are the same computation. They agree with fairlearn's functions of the same
name (tested against fairlearn itself).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._group_counts import (
    DemographicParityDifference,
    DemographicParityRatio,
    EqualizedOddsDifference,
    EqualizedOddsRatio,
    EqualOpportunityDifference,
    EqualOpportunityRatio,
    GroupConfusionCounts,
)

__all__ = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "metrics_by_group",
]


#: the numpydoc entry of every parameter of the functions below, in one wording
_PARAMETER_DOCS = {
    "y_true": "y_true : array-like of shape (n_samples,)",
    "y_pred": "y_pred : array-like of shape (n_samples,)",
    "sensitive_features": ("sensitive_features : array-like of shape (n_samples,) or "
                           "(n_samples, n_attributes)\n    Several columns define intersectional "
                           "groups."),
    "method": ('method : {"between_groups", "to_overall"}, default="between_groups"\n'
               "    Compare the groups with each other, or each group with the overall rate."),
    "agg": ('agg : {"worst_case", "mean"}, default="worst_case"\n'
            "    How the TPR and FPR terms combine."),
    "sample_weight": "sample_weight : array-like of shape (n_samples,), optional",
    "pos_label": "pos_label : scalar, default=1",
}


def _documented(func):
    """Add numpydoc ``Parameters`` (from the signature, in :data:`_PARAMETER_DOCS`' wording) and
    ``Returns`` (a float) sections before the ``Examples`` of ``func``'s docstring."""
    import inspect

    doc = inspect.cleandoc(func.__doc__)
    head, sep, examples = doc.partition("\nExamples\n--------")
    sections = "\n".join(_PARAMETER_DOCS[name] for name in inspect.signature(func).parameters)
    head = head.rstrip() + "\n\nParameters\n----------\n" + sections
    if "\nReturns\n" not in head:
        head += "\n\nReturns\n-------\nfloat"
    func.__doc__ = head + ("\n" + sep + examples if sep else "")
    return func


def _overall(y_true, y_pred, sample_weight, pos_label):
    counts = GroupConfusionCounts(pos_label=pos_label)
    counts.update(y_true, y_pred, np.zeros(np.asarray(y_true).size, dtype=np.int64),
                  sample_weight=sample_weight)
    counts._require_data()
    return counts


@_documented
def selection_rate(y_true, y_pred, *, pos_label=1, sample_weight=None) -> float:
    """Fraction of predictions equal to ``pos_label`` (``y_true`` is only checked for length).

    Examples
    --------
    >>> from fairlearn_online.metrics import selection_rate
    >>> selection_rate([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    >>> selection_rate(1, 1)  # one sample given as scalars, as fairlearn accepts
    1.0
    """
    return float(_overall(y_true, y_pred, sample_weight, pos_label).selection_rate(overall=True))


@_documented
def true_positive_rate(y_true, y_pred, *, pos_label=1, sample_weight=None) -> float:
    """P(y_pred = pos_label | y_true = pos_label); 0 when there is no positive label."""
    counts = _overall(y_true, y_pred, sample_weight, pos_label)
    return float(counts.true_positive_rate(overall=True))


@_documented
def false_positive_rate(y_true, y_pred, *, pos_label=1, sample_weight=None) -> float:
    """P(y_pred = pos_label | y_true != pos_label); 0 when there is no negative label."""
    counts = _overall(y_true, y_pred, sample_weight, pos_label)
    return float(counts.false_positive_rate(overall=True))


@_documented
def demographic_parity_difference(y_true, y_pred, *, sensitive_features,
                                  method="between_groups", sample_weight=None,
                                  pos_label=1) -> float:
    """Largest gap in selection rate between groups (fairlearn's definition); ``y_true`` is only
    checked for length (selection rates do not use it).

    Examples
    --------
    >>> from fairlearn_online.metrics import demographic_parity_difference
    >>> demographic_parity_difference([0, 0, 0, 0], [1, 1, 0, 1],
    ...                               sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    metric = DemographicParityDifference(method=method, pos_label=pos_label)
    return metric.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight).get()


@_documented
def demographic_parity_ratio(y_true, y_pred, *, sensitive_features, method="between_groups",
                             sample_weight=None, pos_label=1) -> float:
    """Smallest ratio of selection rates between groups (fairlearn's definition).

    Examples
    --------
    >>> from fairlearn_online.metrics import demographic_parity_ratio
    >>> demographic_parity_ratio([0, 0, 0, 0], [1, 1, 0, 1],
    ...                          sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    metric = DemographicParityRatio(method=method, pos_label=pos_label)
    return metric.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight).get()


@_documented
def equalized_odds_difference(y_true, y_pred, *, sensitive_features, method="between_groups",
                              sample_weight=None, agg="worst_case", pos_label=1) -> float:
    """Larger (or mean) of the between-group TPR and FPR differences (fairlearn's definition).

    Examples
    --------
    >>> from fairlearn_online.metrics import equalized_odds_difference
    >>> equalized_odds_difference([1, 0, 1, 0], [1, 0, 0, 0],
    ...                           sensitive_features=["a", "a", "b", "b"])
    1.0
    """
    metric = EqualizedOddsDifference(method=method, agg=agg, pos_label=pos_label)
    return metric.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight).get()


@_documented
def equalized_odds_ratio(y_true, y_pred, *, sensitive_features, method="between_groups",
                         sample_weight=None, agg="worst_case", pos_label=1) -> float:
    """Smaller (or mean) of the TPR and FPR ratios between groups (fairlearn's definition).

    Examples
    --------
    >>> from fairlearn_online.metrics import equalized_odds_ratio
    >>> equalized_odds_ratio([1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 1, 1],
    ...                      sensitive_features=["a", "a", "b", "b", "b", "a"])
    0.5
    """
    metric = EqualizedOddsRatio(method=method, agg=agg, pos_label=pos_label)
    return metric.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight).get()


@_documented
def equal_opportunity_difference(y_true, y_pred, *, sensitive_features,
                                 method="between_groups", sample_weight=None,
                                 pos_label=1) -> float:
    """Between-group gap of the true positive rate (fairlearn's definition).

    Examples
    --------
    >>> from fairlearn_online.metrics import equal_opportunity_difference
    >>> equal_opportunity_difference([1, 1, 1, 1], [1, 1, 1, 0],
    ...                              sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    metric = EqualOpportunityDifference(method=method, pos_label=pos_label)
    return metric.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight).get()


@_documented
def equal_opportunity_ratio(y_true, y_pred, *, sensitive_features, method="between_groups",
                            sample_weight=None, pos_label=1) -> float:
    """Smallest ratio of true positive rates between groups (fairlearn's definition).

    Examples
    --------
    >>> from fairlearn_online.metrics import equal_opportunity_ratio
    >>> equal_opportunity_ratio([1, 1, 1, 1], [1, 1, 1, 0],
    ...                         sensitive_features=["a", "a", "b", "b"])
    0.5
    """
    metric = EqualOpportunityRatio(method=method, pos_label=pos_label)
    return metric.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight).get()


def metrics_by_group(y_true, y_pred, *, sensitive_features, sample_weight=None,
                     pos_label=1) -> pd.DataFrame:
    """Accuracy, selection rate, TPR, FPR and count per group, like ``MetricFrame.by_group``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
    sample_weight : array-like of shape (n_samples,), optional
    pos_label : scalar, default=1

    Returns
    -------
    DataFrame
        One row per (intersectional) group, sorted by group label; columns ``count`` (rows,
        whatever their weights, as fairlearn's ``count``), ``accuracy``, ``selection_rate``,
        ``true_positive_rate``, ``false_positive_rate`` (weighted).

    Examples
    --------
    >>> from fairlearn_online.metrics import metrics_by_group
    >>> table = metrics_by_group([1, 0, 1, 0], [1, 0, 0, 0],
    ...                          sensitive_features=["a", "a", "b", "b"])
    >>> table["accuracy"].to_dict()
    {'a': 1.0, 'b': 0.5}
    >>> table["true_positive_rate"].to_dict()
    {'a': 1.0, 'b': 0.0}
    """
    counts = GroupConfusionCounts(pos_label=pos_label)
    counts.update(y_true, y_pred, sensitive_features, sample_weight=sample_weight)
    counts._require_data()
    return pd.DataFrame({
        "count": counts.by_group(counts.rows_.astype(np.float64)),  # rows, as fairlearn
        "accuracy": counts.by_group(counts.accuracy()),
        "selection_rate": counts.by_group(counts.selection_rate()),
        "true_positive_rate": counts.by_group(counts.true_positive_rate()),
        "false_positive_rate": counts.by_group(counts.false_positive_rate()),
    })
