"""Online oblique soft decision forest with group fairness (DESIGN.md section 1) and baselines."""

from ._aranyani import AranyaniClassifier

__all__ = ["AranyaniClassifier"]
