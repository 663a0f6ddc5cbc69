"""Groupwise regret (docs/user_guide/regret.md): sleeping experts over per-group online ridge.

Acharya, Arunachaleswaran, Kannan, Roth, Ziani, "Oracle Efficient Algorithms for Groupwise
Regret", ICLR 2024.
"""

from ._estimator import GroupIndicatorRidgeRegressor, GroupwiseRegretRegressor
from ._regret import groupwise_regret, hindsight_loss

__all__ = ["GroupwiseRegretRegressor", "GroupIndicatorRidgeRegressor", "groupwise_regret",
           "hindsight_loss"]
