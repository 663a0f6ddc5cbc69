"""The one Adam of fairlearn_online._core.optim: numpy and numba against each other, against a
plain transcription of Kingma & Ba's Algorithm 1, and against the steps it replaces."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from fairlearn_online._core.optim import FASTMATH, adam_step, adam_step_numba, bias_corrections


def _algorithm_1(p, g, m, v, lr, b1, b2, eps, t):
    """Kingma & Ba (2015), Algorithm 1, one step, element by element."""
    p, m, v = p.copy(), m.copy(), v.copy()
    for i in range(p.size):
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
        m_hat = m[i] / (1 - b1 ** t)
        v_hat = v[i] / (1 - b2 ** t)
        p[i] = p[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p, m, v


def _state(rng, n):
    return (rng.normal(size=n), rng.normal(size=n), rng.normal(size=n) * 0.1,
            rng.uniform(0, 0.1, size=n))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("eps_scaled", [True, False])
def test_numpy_and_numba_agree(seed, eps_scaled):
    rng = np.random.default_rng(seed)
    n, t = int(rng.integers(1, 50)), int(rng.integers(1, 1000))
    lr, b1, b2, eps = 10 ** rng.uniform(-4, -1), 0.9, 0.999, 10 ** rng.uniform(-9, -6)
    bc1, bc2 = bias_corrections(b1, b2, t)
    p, g, m, v = _state(rng, n)
    a = [x.copy() for x in (p, m, v)]
    b = [x.copy() for x in (p, m, v)]
    adam_step([a[0]], [g], [a[1]], [a[2]], lr, b1, b2, eps, bc1, bc2, eps_scaled)
    adam_step_numba(b[0], g, b[1], b[2], lr, b1, b2, eps, bc1, bc2, eps_scaled)
    for x, y in zip(a, b):  # numba's fastmath may reorder the last bit
        np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-300)
    assert not np.array_equal(a[0], p)  # a step was taken


@pytest.mark.parametrize("seed", range(5))
def test_eps_scaled_is_algorithm_1(seed):
    """``eps_scaled=True`` adds eps to sqrt(v_hat); ``False`` is Algorithm 1 with
    eps / sqrt(bc2)."""
    rng = np.random.default_rng(seed)
    n, t = 20, int(rng.integers(1, 200))
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-3  # a large eps, so its place matters
    bc1, bc2 = bias_corrections(b1, b2, t)
    p, g, m, v = _state(rng, n)
    for eps_scaled, eps_in_algorithm in [(True, eps), (False, eps / math.sqrt(bc2))]:
        ref = _algorithm_1(p, g, m, v, lr, b1, b2, eps_in_algorithm, t)
        got = [x.copy() for x in (p, m, v)]
        adam_step([got[0]], [g], [got[1]], [got[2]], lr, b1, b2, eps, bc1, bc2, eps_scaled)
        for x, y in zip(got, ref):
            np.testing.assert_allclose(x, y, rtol=1e-12)


@njit(fastmath=FASTMATH, error_model="numpy")
def _former_forest_adam(p, g, m, v, lr, b1, b2, eps, bc1, bc2):
    """The forest's own step before its kernels called :func:`adam_step_numba` (eps 1e-7 on
    sqrt(v_hat)), verbatim."""
    root = math.sqrt(bc2)
    step = lr * root / bc1
    eps_hat = eps * root
    for i in range(p.size):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i]
        p[i] -= step * m[i] / (math.sqrt(v[i]) + eps_hat)


@pytest.mark.parametrize("seed", range(5))
def test_numba_step_is_the_forests_former_step_bit_for_bit(seed):
    """The forest's kernels call :func:`adam_step_numba`; it computes their former step."""
    @njit
    def call_core(p, g, m, v, lr, b1, b2, eps, bc1, bc2):
        adam_step_numba(p, g, m, v, lr, b1, b2, eps, bc1, bc2, True)

    rng = np.random.default_rng(seed)
    n, t = int(rng.integers(1, 200)), int(rng.integers(1, 1000))
    lr, b1, b2, eps = 2e-3, 0.9, 0.999, 1e-7
    bc1, bc2 = bias_corrections(b1, b2, t)
    p, g, m, v = _state(rng, n)
    a = [x.copy() for x in (p, m, v)]
    b = [x.copy() for x in (p, m, v)]
    _former_forest_adam(a[0], g, a[1], a[2], lr, b1, b2, eps, bc1, bc2)
    call_core(b[0], g, b[1], b[2], lr, b1, b2, eps, bc1, bc2)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("seed", range(5))
def test_numpy_step_is_the_dcov_one_bit_for_bit(seed):
    """The dCov networks' former inline step (eps 1e-8 on sqrt(v), lists of arrays)."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (2,), (4, 1)]
    t, lr, b1, b2, eps = int(rng.integers(1, 500)), 0.01, 0.9, 0.999, 1e-8
    params = [rng.normal(size=s) for s in shapes]
    grads = [rng.normal(size=s) for s in shapes]
    ms = [rng.normal(size=s) * 0.1 for s in shapes]
    vs = [rng.uniform(0, 0.1, size=s) for s in shapes]
    old = [[x.copy() for x in xs] for xs in (params, ms, vs)]
    step = lr * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
    for p, g, m, v in zip(old[0], grads, old[1], old[2]):
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g
        p -= step * m / (np.sqrt(v) + eps)
    bc1, bc2 = bias_corrections(b1, b2, t)
    adam_step(params, grads, ms, vs, lr, b1, b2, eps, bc1, bc2, False)
    for new_list, old_list in zip((params, ms, vs), old):
        for x, y in zip(new_list, old_list):
            np.testing.assert_array_equal(x, y)
