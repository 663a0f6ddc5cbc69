"""The one generator factory, fairlearn_online._core.random: the draws of the seeding it
replaced (forest, selection, dCov) are unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils import check_random_state

from fairlearn_online._core.random import make_generator, seed_from


def _former(random_state, stream=None):
    """The seeding written out in forest/_common.py, selection/_bias.py and dcov before."""
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed if stream is None else [seed, stream])


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 - 2])
@pytest.mark.parametrize("stream", [None, 1])
def test_int_seed_draws_as_before(seed, stream):
    np.testing.assert_array_equal(make_generator(seed, stream=stream).random(5),
                                  _former(seed, stream).random(5))


def test_random_state_instance_advances_as_before():
    a, b = np.random.RandomState(3), np.random.RandomState(3)
    np.testing.assert_array_equal(make_generator(a).random(4), _former(b).random(4))
    assert a.randint(1000) == b.randint(1000)  # both advanced by one draw


def test_generator_shared_or_child():
    g = np.random.default_rng(7)
    assert make_generator(g, share=True) is g
    parent, twin = np.random.default_rng(7), np.random.default_rng(7)
    child = make_generator(parent)
    assert child is not parent
    np.testing.assert_array_equal(child.random(3),
                                  np.random.default_rng(twin.integers(2**63)).random(3))


def test_seed_range_and_bad_input():
    assert 0 <= seed_from(None) < np.iinfo(np.int32).max
    with pytest.raises(ValueError):
        make_generator("seed")
