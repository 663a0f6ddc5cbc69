"""Helpers the estimators share through ``_core`` instead of keeping copies."""

import numpy as np

from fairlearn_online._core.groups import grow_rows
from fairlearn_online._core.state import forget
from fairlearn_online.selection import MultiwinnerSelector


class _Learner:
    def __init__(self):
        self.alpha = 1.0
        self.coef_ = np.zeros(2)
        self._event_cache_ = {}
        self.__private__ = "kept"


def test_forget_deletes_the_learned_state_and_keeps_the_parameters():
    est = _Learner()
    forget(est)
    assert vars(est) == {"alpha": 1.0, "__private__": "kept"}


def test_selector_reset_is_the_core_one():
    selector = MultiwinnerSelector(k=1).fit(np.array([[0, 1, 2], [1, 0, 2]]))
    assert any(name.endswith("_") for name in vars(selector))
    selector._reset()
    assert not any(name.endswith("_") and not name.startswith("__") for name in vars(selector))


def test_grow_rows_appends_zero_rows_only_when_needed():
    a = np.ones((2, 3))
    assert grow_rows(a, 2) is a
    grown = grow_rows(a, 4)
    assert grown.shape == (4, 3) and grown.flags.c_contiguous
    assert np.array_equal(grown[:2], a) and not grown[2:].any()
