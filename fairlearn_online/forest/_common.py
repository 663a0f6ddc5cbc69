"""What the forest and its online-logistic baseline share: the fairness-gradient codes, the
constraints of their common parameters and the growth of per-group arrays."""

from __future__ import annotations

import numpy as np

from .._core.validation import (NON_NEGATIVE, POSITIVE, UNIT_INTERVAL_OPEN_LEFT,
                                UNIT_INTERVAL_OPEN_RIGHT, StrOptions)
from . import _kernels as K

#: ``fairness_gradient`` name -> the kernel's code for the factor ``h(F)`` of the parity gap
#: (docs/user_guide/forest.md, "The fairness gradient")
FAIRNESS_GRADIENTS = {"sign_outside_band": K.SIGN_OUTSIDE_BAND, "huber": K.HUBER,
                      "uncapped": K.UNCAPPED}


#: the parameters the forest and its online-logistic baseline share: the fairness penalty
#: (weight, Huber delta, gradient shape, statistics decay) and Adam's settings
FAIRNESS_OPTIMIZER_CONSTRAINTS = {
    "fairness_weight": [NON_NEGATIVE],
    "huber_delta": [POSITIVE],
    "learning_rate": [POSITIVE],
    "beta1": [UNIT_INTERVAL_OPEN_RIGHT],
    "beta2": [UNIT_INTERVAL_OPEN_RIGHT],
    "epsilon": [POSITIVE],
    "fairness_gradient": [StrOptions(set(FAIRNESS_GRADIENTS))],
    "statistics_decay": [UNIT_INTERVAL_OPEN_LEFT],
}


def grow_rows(array, n_rows):
    """``array`` with zero rows appended along axis 0 up to ``n_rows`` (no copy if unchanged)."""
    if array.shape[0] >= n_rows:
        return array
    extra = np.zeros((n_rows - array.shape[0],) + array.shape[1:], dtype=array.dtype)
    return np.ascontiguousarray(np.concatenate([array, extra], axis=0))
