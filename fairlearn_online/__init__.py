"""fairlearn_online: fair online learning with scikit-learn conventions.

Estimators are exported here as they land; each lives in its method's subpackage.
"""

__version__ = "0.1.0.dev0"

from .forest import AranyaniClassifier, OnlineFairLogisticClassifier  # noqa: E402
from .regret import GroupIndicatorRidgeRegressor, GroupwiseRegretRegressor, groupwise_regret  # noqa: E402
from .dcov import DCovRegularizedClassifier, DCovRegularizedRegressor  # noqa: E402
from .selection import MultiwinnerSelector, OWARule, make_biased_rankings  # noqa: E402

__all__ = ["__version__", "AranyaniClassifier", "OnlineFairLogisticClassifier",
           "GroupwiseRegretRegressor", "GroupIndicatorRidgeRegressor", "groupwise_regret",
           "DCovRegularizedClassifier", "DCovRegularizedRegressor",
           "MultiwinnerSelector", "OWARule", "make_biased_rankings"]
