"""Distance-covariance fairness (docs/user_guide/dcov.md).

Statistics (squared distance covariance, distance correlation, joint distance covariance JdCov,
concatenated distance covariance CCdCov) with gradients with respect to 1-D predictions, exact
fast paths in numba, mini-batch regularized estimators and the intersectional calibration
metrics of "Machine Learning with Multitype Protected Attributes: Intersectional Fairness
through Regularisation".
"""

from . import _estimators, _metrics, _postprocessing, _stats
from ._estimators import *  # noqa: F403  (the estimators and their penalty)
from ._metrics import *  # noqa: F403  (the intersectional calibration metrics)
from ._postprocessing import *  # noqa: F403  (post-processing references for them)
from ._stats import *  # noqa: F403  (the statistics and their gradients)

__all__ = [*_estimators.__all__, *_metrics.__all__, *_postprocessing.__all__, *_stats.__all__]
