"""Online oblique soft decision forest with group fairness (Aranyani).

See ``docs/user_guide/forest.md`` ("Algorithm"). The baselines of its experiments (online fair
logistic regression, FAHT) are in :mod:`fairlearn_online.baselines`.
"""

from .._core.deprecation import moved_names
from ._aranyani import AranyaniClassifier, SingleGroupWarning

__all__ = ["AranyaniClassifier", "SingleGroupWarning"]

__getattr__ = moved_names(__name__, {
    "OnlineFairLogisticClassifier": "fairlearn_online.baselines",
    "FAHTClassifier": "fairlearn_online.baselines",
    "RiverClassifier": "fairlearn_online.river",
})
