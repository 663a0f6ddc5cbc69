"""Every baseline of the library, in the streaming protocol of :mod:`fairlearn_online.base`.

* :class:`MajorityClassClassifier`: the most frequent label seen so far (the floor every
  classifier is compared with).
* :class:`OnlineFairLogisticClassifier`: the Aranyani paper's linear baseline (online logistic
  regression with the forest's aggregate fairness gradient).
* :class:`FAHTClassifier`: the fairness-aware Hoeffding tree of Zhang and Ntoutsi (IJCAI 2019).
* :class:`GroupIndicatorRidgeRegressor`: the groupwise-regret paper's baseline (one online ridge
  on the features and the group indicators).

river's models are baselines too, through :func:`fairlearn_online.river.from_river`.
"""

from ._faht import FAHTClassifier
from ._logistic import OnlineFairLogisticClassifier
from ._majority import MajorityClassClassifier
from ._ridge import GroupIndicatorRidgeRegressor

__all__ = ["MajorityClassClassifier", "OnlineFairLogisticClassifier", "FAHTClassifier",
           "GroupIndicatorRidgeRegressor"]
