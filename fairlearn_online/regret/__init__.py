"""Groupwise regret (docs/user_guide/regret.md): sleeping experts over per-group online ridge.

Acharya, Arunachaleswaran, Kannan, Roth, Ziani, "Oracle Efficient Algorithms for Groupwise
Regret", ICLR 2024. The paper's baseline, ``GroupIndicatorRidgeRegressor``, is in
:mod:`fairlearn_online.baselines`.
"""

from .._core.deprecation import moved_names
from ._estimator import GroupwiseRegretRegressor
from ._regret import groupwise_regret, hindsight_loss

__all__ = ["GroupwiseRegretRegressor", "groupwise_regret", "hindsight_loss"]

__getattr__ = moved_names(__name__, {"GroupIndicatorRidgeRegressor": "fairlearn_online.baselines"})
