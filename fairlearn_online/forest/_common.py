"""What the forest and its online-logistic baseline share: the fairness-gradient codes, the
constraints of their common parameters, the seeding and the growth of per-group arrays."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

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


def make_generator(random_state) -> np.random.Generator:
    """A numpy Generator seeded from ``random_state`` (int, None, RandomState or Generator).

    The generator is kept in the estimator's state so that pickling mid-stream and resuming
    reproduces the same draws.
    """
    if isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state.integers(2**63))
    if random_state is not None and not isinstance(
            random_state, (numbers.Integral, np.random.RandomState)):
        raise ValueError(f"random_state must be None, an int, a RandomState or a Generator; "
                         f"got {random_state!r}.")
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)


def grow_rows(array, n_rows):
    """``array`` with zero rows appended along axis 0 up to ``n_rows`` (no copy if unchanged)."""
    if array.shape[0] >= n_rows:
        return array
    extra = np.zeros((n_rows - array.shape[0],) + array.shape[1:], dtype=array.dtype)
    return np.ascontiguousarray(np.concatenate([array, extra], axis=0))
