"""Online oblique soft decision forest with group fairness (DESIGN.md section 1) and baselines."""

from ._aranyani import AranyaniClassifier
from ._baselines import OnlineFairLogisticClassifier, RiverClassifier

__all__ = ["AranyaniClassifier", "OnlineFairLogisticClassifier", "RiverClassifier"]
