"""Group-fairness metrics: streaming accumulators and fairlearn-compatible batch functions.

Streaming metrics take chunks through ``update(y_true, y_pred, sensitive_features)`` and report
with ``get()``; the batch functions have fairlearn's names and signatures and give the same
numbers as fairlearn on the same data.
"""

from ._batch import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    metrics_by_group,
    selection_rate,
    true_positive_rate,
)
from ._group_counts import (
    Accuracy,
    DemographicParityDifference,
    DemographicParityRatio,
    EqualizedOddsDifference,
    FairnessReport,
    FalsePositiveRateByGroup,
    GroupConfusionCounts,
    SelectionRateByGroup,
    TruePositiveRateByGroup,
)

__all__ = [
    "Accuracy",
    "DemographicParityDifference",
    "DemographicParityRatio",
    "EqualizedOddsDifference",
    "FairnessReport",
    "FalsePositiveRateByGroup",
    "GroupConfusionCounts",
    "SelectionRateByGroup",
    "TruePositiveRateByGroup",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "false_positive_rate",
    "metrics_by_group",
    "selection_rate",
    "true_positive_rate",
]
