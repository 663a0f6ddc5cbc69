"""Group-fairness metrics: streaming accumulators and fairlearn-compatible batch functions.

:class:`StreamingMetricFrame` is fairlearn's ``MetricFrame`` on a stream (cumulative, windowed or
decayed, mergeable). Streaming metrics take chunks through
``update(y_true, y_pred, sensitive_features)`` and report with ``get()``; the batch functions
have fairlearn's names and signatures and give the same numbers as fairlearn on the same data.
"""

from . import _batch, _group_counts
from ._batch import *  # noqa: F403  (the fairlearn-compatible batch functions)
from ._drift import FairnessDriftDetector
from ._frame import StreamingMetricFrame
from ._group_counts import *  # noqa: F403  (the streaming metrics)
from ._intervals import (
    binomial_coverage,
    clopper_pearson_interval,
    confidence_sequence,
    newcombe_interval,
    normal_mixture_radius,
    wilson_interval,
)

__all__ = [
    *_group_counts.__all__,
    "FairnessDriftDetector",
    "StreamingMetricFrame",
    "binomial_coverage",
    "clopper_pearson_interval",
    "confidence_sequence",
    "newcombe_interval",
    "normal_mixture_radius",
    "wilson_interval",
    *_batch.__all__,
]
