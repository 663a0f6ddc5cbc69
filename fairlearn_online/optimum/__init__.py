"""Convex fairness optimum (AGLFOP) and the partial information decomposition of disparity.

``docs/user_guide/optimum.md`` (Hamman and Dutta, "Demystifying Local and Global Fairness
Trade-offs in Federated Learning Using Partial Information Decomposition", ICLR 2024).
"""

from ._aglfop import AGLFOPResult, aglfop, aglfop_from_samples, aglfop_frontier
from ._info import conditional_mutual_information, entropy, mutual_information
from ._limits import (FairnessLimit, FairnessLimitWarning, fairness_limit, fairness_limit_curve,
                      quantile_cells)
from ._pid import (DisparityDecomposition, disparity_decomposition,
                   disparity_decomposition_from_joint)

__all__ = [
    "AGLFOPResult",
    "DisparityDecomposition",
    "FairnessLimit",
    "FairnessLimitWarning",
    "aglfop",
    "aglfop_from_samples",
    "aglfop_frontier",
    "conditional_mutual_information",
    "disparity_decomposition",
    "disparity_decomposition_from_joint",
    "entropy",
    "fairness_limit",
    "fairness_limit_curve",
    "mutual_information",
    "quantile_cells",
]
