"""fairlearn_online: fair online learning with scikit-learn conventions.

Estimators are exported here as they land; each lives in its method's subpackage. The exports
are imported on first use (PEP 562), so that ``import fairlearn_online`` and the command line
start without loading scikit-learn, SciPy and numba until an estimator is needed.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0.dev0"

#: exported name -> the subpackage that defines it
_EXPORTS = {
    "AranyaniClassifier": ".forest",
    "FAHTClassifier": ".baselines",
    "OnlineFairLogisticClassifier": ".baselines",
    "GroupwiseRegretRegressor": ".regret",
    "GroupIndicatorRidgeRegressor": ".baselines",
    "groupwise_regret": ".regret",
    "DCovRegularizedClassifier": ".dcov",
    "DCovRegularizedRegressor": ".dcov",
    "MultiwinnerSelector": ".selection",
    "OWARule": ".selection",
    "make_biased_rankings": ".selection",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
