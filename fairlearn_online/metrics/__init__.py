"""Group-fairness metrics: streaming accumulators and fairlearn-compatible batch functions.

:class:`StreamingMetricFrame` is fairlearn's ``MetricFrame`` on a stream (cumulative, windowed or
decayed, mergeable). Streaming metrics take chunks through ``update(y_true, y_pred, sensitive_features)`` and report
with ``get()``; the batch functions have fairlearn's names and signatures and give the same
numbers as fairlearn on the same data.
"""

from ._batch import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    metrics_by_group,
    selection_rate,
    true_positive_rate,
)
from ._drift import FairnessDriftDetector
from ._frame import StreamingMetricFrame
from ._intervals import (
    binomial_coverage,
    clopper_pearson_interval,
    confidence_sequence,
    newcombe_interval,
    normal_mixture_radius,
    wilson_interval,
)
from ._group_counts import (
    Accuracy,
    DemographicParityDifference,
    DemographicParityRatio,
    EqualizedOddsDifference,
    EqualizedOddsRatio,
    EqualOpportunityDifference,
    EqualOpportunityRatio,
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
    "EqualizedOddsRatio",
    "EqualOpportunityDifference",
    "EqualOpportunityRatio",
    "FairnessDriftDetector",
    "FairnessReport",
    "FalsePositiveRateByGroup",
    "GroupConfusionCounts",
    "SelectionRateByGroup",
    "StreamingMetricFrame",
    "TruePositiveRateByGroup",
    "binomial_coverage",
    "clopper_pearson_interval",
    "confidence_sequence",
    "newcombe_interval",
    "normal_mixture_radius",
    "wilson_interval",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "false_positive_rate",
    "metrics_by_group",
    "selection_rate",
    "true_positive_rate",
]
