"""What the forest and its online-logistic baseline share: the fairness-gradient codes and the
constraints of their common parameters (the growth of per-group arrays is the core's:
``fairlearn_online._core.groups.grow_rows``)."""

from __future__ import annotations

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
