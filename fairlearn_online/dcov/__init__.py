"""Distance-covariance fairness (docs/user_guide/dcov.md).

Statistics (squared distance covariance, distance correlation, joint distance covariance JdCov,
concatenated distance covariance CCdCov) with gradients with respect to 1-D predictions, exact
fast paths in numba, mini-batch regularized estimators and the intersectional calibration
metrics of "Machine Learning with Multitype Protected Attributes: Intersectional Fairness
through Regularisation".
"""

from ._estimators import DCovRegularizedClassifier, DCovRegularizedRegressor, fairness_penalty_grad
from ._metrics import intersectional_subgroups, js_calibration, unfairness_ratio
from ._stats import (
    concatenated_distance_covariance,
    concatenated_distance_covariance_grad,
    distance_correlation,
    distance_correlation_grad,
    distance_covariance,
    distance_covariance_grad,
    encode_sensitive_features,
    joint_distance_covariance,
    joint_distance_covariance_grad,
)

__all__ = [
    "DCovRegularizedClassifier",
    "DCovRegularizedRegressor",
    "fairness_penalty_grad",
    "js_calibration",
    "unfairness_ratio",
    "intersectional_subgroups",
    "distance_covariance",
    "distance_covariance_grad",
    "distance_correlation",
    "distance_correlation_grad",
    "joint_distance_covariance",
    "joint_distance_covariance_grad",
    "concatenated_distance_covariance",
    "concatenated_distance_covariance_grad",
    "encode_sensitive_features",
]
