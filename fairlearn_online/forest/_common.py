"""Validation helpers shared by the forest and its baselines."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ..base import check_positive
from . import _kernels as K

#: ``fairness_gradient`` name -> the kernel's code for the factor ``h(F)`` of the parity gap
#: (docs/user_guide/forest.md, "The fairness gradient")
FAIRNESS_GRADIENTS = {"sign_outside_band": K.SIGN_OUTSIDE_BAND, "huber": K.HUBER,
                      "uncapped": K.UNCAPPED}


def check_probability_like(value, name, *, closed_right=False):
    """A real number in [0, 1) (or [0, 1] with ``closed_right``)."""
    check_positive(value, name, allow_zero=True)
    if value > 1 or (value == 1 and not closed_right):
        raise ValueError(f"{name} must be in [0, 1{']' if closed_right else ')'}, got {value!r}.")
    return float(value)


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}.")
    return value


def check_fairness_optimizer_params(est):
    """The hyper-parameters the forest and its online-logistic baseline share: the fairness
    penalty (weight, Huber delta, gradient shape, statistics decay) and Adam's settings."""
    check_positive(est.fairness_weight, "fairness_weight", allow_zero=True)
    check_positive(est.huber_delta, "huber_delta")
    check_positive(est.learning_rate, "learning_rate")
    check_probability_like(est.beta1, "beta1")
    check_probability_like(est.beta2, "beta2")
    check_positive(est.epsilon, "epsilon")
    check_choice(est.fairness_gradient, "fairness_gradient", FAIRNESS_GRADIENTS)
    check_positive(est.statistics_decay, "statistics_decay")
    if est.statistics_decay > 1:
        raise ValueError(f"statistics_decay must be in (0, 1], got {est.statistics_decay!r}.")


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
