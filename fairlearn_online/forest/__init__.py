"""Online oblique soft decision forest with group fairness, and baselines (online fair
logistic regression, FAHT).

See ``docs/user_guide/forest.md`` ("Algorithm").
"""

from ._aranyani import AranyaniClassifier
from ._baselines import OnlineFairLogisticClassifier
from ._faht import FAHTClassifier

__all__ = ["AranyaniClassifier", "FAHTClassifier", "OnlineFairLogisticClassifier"]


def __getattr__(name):
    if name == "RiverClassifier":  # moved to fairlearn_online.river (deprecated here)
        from . import _baselines

        return _baselines.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
