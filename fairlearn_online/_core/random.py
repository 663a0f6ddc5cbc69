"""Seeding, once: every estimator and generator of the library draws from a numpy ``Generator``
made here from its ``random_state`` (scikit-learn's meaning: None, an int or a
``RandomState``; a numpy ``Generator`` is accepted too).

An int or ``RandomState`` seeds the generator with one draw of
``sklearn.utils.check_random_state(random_state)`` (so a ``RandomState`` instance advances, as
scikit-learn's estimators do); ``None`` draws that seed from numpy's global state. The
generator lives in the estimator's state, so pickling mid-stream and resuming reproduces the
same draws.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_generator", "seed_from"]


def seed_from(random_state) -> int:
    """One seed in ``[0, 2**31 - 1)`` drawn from ``random_state`` (None, int or RandomState).

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState

    Returns
    -------
    seed : int
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def make_generator(random_state, *, stream=None, share=False) -> np.random.Generator:
    """A numpy ``Generator`` for ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
    stream : int or None, default=None
        ``None``: the generator seeded with :func:`seed_from`; an int ``s``: an independent
        stream of the same seed (``default_rng([seed, s])``), e.g. for a data order apart from
        the initialization. Ignored for a ``Generator``.
    share : bool, default=False
        For a ``Generator``: ``True`` returns it as is (the caller's draws continue it);
        ``False`` returns a child seeded by one draw of it (the caller's generator advances once).

    Returns
    -------
    rng : numpy.random.Generator
    """
    if isinstance(random_state, np.random.Generator):
        return random_state if share else np.random.default_rng(random_state.integers(2**63))
    seed = seed_from(random_state)
    return np.random.default_rng(seed if stream is None else [seed, stream])
