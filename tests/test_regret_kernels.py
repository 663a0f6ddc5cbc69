"""Numba kernels of fairlearn_online.regret against plain numpy references."""

import math

import numpy as np
import pytest

from fairlearn_online.regret._kernels import (
    _hedge_probabilities,
    _log_weight,
    anh_ridge_chunk,
    hindsight_sse_chunk,
    ridge_chunk,
    ridge_predict,
)
from fairlearn_online.regret._reference import (
    anh_ridge_reference,
    hindsight_sse_reference,
    log_weight_reference,
)
from fairlearn_online.regret import hindsight_loss


def _run_kernel(Z, y, member, y_range=None, alpha=1.0, learn=True):
    n, p = Z.shape
    G = member.shape[1]
    P = np.repeat(np.eye(p)[None] / alpha, G, axis=0)
    theta = np.zeros((G, p))
    R, C = np.zeros(G), np.zeros(G)
    yrange = np.array([np.inf, -np.inf]) if y_range is None else np.array(y_range, float)
    pred, hloss = np.zeros(n), np.zeros(n)
    anh_ridge_chunk(Z, y, np.ascontiguousarray(member), P, theta, R, C, yrange,
                    y_range is not None, learn, pred, hloss)
    return pred, hloss, R, C, theta


def test_log_weight_matches_linear_space_formula():
    # docs/user_guide/regret.md: w = 0.5 (Phi(R+1, C+1) - Phi(R-1, C+1)), Phi = exp(max(R,0)^2/(3C))
    rng = np.random.default_rng(0)
    for _ in range(200):
        C = rng.uniform(0, 50)
        R = rng.uniform(-C - 2, C + 2)
        phi = lambda r, c: math.exp(max(r, 0.0) ** 2 / (3 * c))  # noqa: E731
        w = 0.5 * (phi(R + 1, C + 1) - phi(R - 1, C + 1))
        lw = _log_weight(R, C)
        if w == 0.0:
            assert lw == -np.inf
        else:
            assert lw == pytest.approx(math.log(w), rel=1e-9, abs=1e-12)
        assert lw == pytest.approx(float(log_weight_reference(R, C)), rel=1e-12) or (
            lw == -np.inf and log_weight_reference(R, C) == -np.inf)


def test_log_weight_is_finite_where_linear_space_overflows():
    # after ~1e7 rounds C ~ 1e7 and R ~ C: exp(R^2 / 3C) = exp(3e6) overflows, log w does not
    for R, C in [(1e7, 1e7), (5e6, 1e7), (1e9, 1e9), (0.5, 1e9), (1.0 + 1e-12, 0.0)]:
        lw = _log_weight(R, C)
        assert np.isfinite(lw)
    probs = np.empty(3)
    R = np.array([1e7, 1e7 - 1.0, -5.0])
    C = np.array([1e7, 1e7, 1e7])
    _hedge_probabilities(R, C, np.arange(3), 3, probs)
    assert np.all(np.isfinite(probs)) and probs.sum() == pytest.approx(1.0)
    assert probs[0] > probs[1] > probs[2] == 0.0
    # every weight zero -> uniform over the awake experts
    _hedge_probabilities(np.array([-3.0, -2.0]), np.array([4.0, 4.0]), np.arange(2), 2, probs)
    assert probs[:2].tolist() == [0.5, 0.5]


@pytest.mark.parametrize("y_range", [None, (-1.0, 1.0)])
def test_anh_ridge_kernel_matches_numpy_reference(y_range):
    rng = np.random.default_rng(1)
    n, p, G = 400, 5, 4
    Z = rng.normal(size=(n, p))
    y = np.tanh(Z @ rng.normal(size=p)) + 0.1 * rng.normal(size=n)
    member = rng.random((n, G)) < 0.4          # some rows in no group at all
    assert (~member.any(axis=1)).any()
    pred, hloss, *_ = _run_kernel(Z, y, member, y_range, alpha=0.7)
    ref_pred, ref_hloss = anh_ridge_reference(Z, y, member, alpha=0.7, y_range=y_range)
    np.testing.assert_allclose(pred, ref_pred, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hloss, ref_hloss, rtol=1e-10, atol=1e-12)


def test_ridge_kernel_matches_batch_ridge():
    rng = np.random.default_rng(2)
    n, p, alpha = 300, 4, 2.0
    Z = rng.normal(size=(n, p))
    y = Z @ rng.normal(size=p) + rng.normal(size=n)
    P, theta = np.eye(p) / alpha, np.zeros(p)
    pred = np.zeros(n)
    ridge_chunk(Z, y, P, theta, np.array([np.inf, -np.inf]), False, pred)
    batch = np.linalg.solve(alpha * np.eye(p) + Z.T @ Z, Z.T @ y)
    np.testing.assert_allclose(theta, batch, rtol=1e-9)
    np.testing.assert_allclose(P, np.linalg.inv(alpha * np.eye(p) + Z.T @ Z), rtol=1e-8, atol=1e-12)
    # prediction of row t uses the ridge of rows < t, clipped to the range of labels < t
    t = 150
    th = np.linalg.solve(alpha * np.eye(p) + Z[:t].T @ Z[:t], Z[:t].T @ y[:t])
    assert pred[t] == pytest.approx(np.clip(Z[t] @ th, y[:t].min(), y[:t].max()), rel=1e-9)


def test_no_overflow_over_a_million_rounds():
    # cheap kernel-level stream (d = 1), losses in [0, 1]; the 1e7-round run is marked slow
    n = 1_000_000
    rng = np.random.default_rng(3)
    Z = rng.uniform(size=(n, 1))
    y = rng.uniform(size=n)
    member = np.ones((n, 3), dtype=bool)
    member[::2, 1] = False
    pred, hloss, R, C, theta = _run_kernel(Z, y, member, (0.0, 1.0))
    assert np.all(np.isfinite(pred)) and np.all(np.isfinite(hloss))
    assert np.all(np.isfinite(R)) and np.all(np.isfinite(C)) and np.all(np.abs(R) <= C + 1e-6)


@pytest.mark.slow
def test_no_overflow_over_ten_million_rounds():
    n = 10_000_000
    rng = np.random.default_rng(4)
    Z = rng.uniform(size=(n, 1))
    y = np.clip(0.5 * Z[:, 0] + 0.2 * rng.normal(size=n), 0, 1)
    member = np.ones((n, 2), dtype=bool)
    pred, hloss, R, C, _ = _run_kernel(Z, y, member, (0.0, 1.0))
    assert np.all(np.isfinite(pred)) and np.all(np.isfinite(R)) and np.all(np.isfinite(C))


def test_losses_far_outside_unit_interval_are_scaled():
    # labels in the millions: the hedge sees scaled losses, predictions are scale-equivariant
    rng = np.random.default_rng(5)
    n, p, G = 500, 3, 3
    Z = rng.normal(size=(n, p))
    y = Z @ rng.normal(size=p) + rng.normal(size=n)
    member = rng.random((n, G)) < 0.6
    member[:, 0] = True
    pred1, *_ = _run_kernel(Z, y, member)
    scale = 1e6
    # ridge is not scale-equivariant in alpha unless inputs scale too: scale y and keep Z;
    # the ridge weights scale with y, so every expert's prediction scales by `scale`
    pred2, hloss2, R2, C2, _ = _run_kernel(Z, y * scale, member)
    np.testing.assert_allclose(pred2, pred1 * scale, rtol=1e-8)
    assert np.all(np.isfinite(R2)) and np.all(np.abs(R2) <= C2 + 1e-9)
    assert np.all(np.isfinite(hloss2))


@pytest.mark.parametrize("kind", ["random", "collinear", "duplicates"])
def test_hindsight_kernel_matches_lstsq(kind):
    rng = np.random.default_rng(6)
    n, G = 300, 3
    X = rng.normal(size=(n, 4))
    if kind == "collinear":
        X[:, 2] = X[:, 0] - 2 * X[:, 1]
        X[:, 3] = 3.0                         # collinear with the intercept
    elif kind == "duplicates":
        X = np.round(rng.uniform(size=(n, 4)) * 2) / 2   # few distinct values, repeated rows
    y = X @ rng.normal(size=4) + rng.normal(size=n)
    member = rng.random((n, G)) < 0.5
    Z = np.hstack([X, np.ones((n, 1))])
    out = hindsight_loss(X, y, member)
    ref = hindsight_sse_reference(Z, y, member, every=13)
    mask = ~np.isnan(ref)
    np.testing.assert_allclose(out[mask], ref[mask], rtol=1e-8, atol=1e-9)


def test_hindsight_kernel_state_is_exact_pseudo_inverse():
    rng = np.random.default_rng(7)
    n, p = 40, 6
    Z = rng.normal(size=(n, p))
    Z[:, 5] = Z[:, 0] + Z[:, 1]
    y = rng.normal(size=n)
    member = np.ones((n, 1), dtype=bool)
    Pinv, Q = np.zeros((1, p, p)), np.eye(p)[None].copy()
    theta, b, sse, out = np.zeros((1, p)), np.zeros((1, p)), np.zeros(1), np.zeros((n, 1))
    hindsight_sse_chunk(Z[:3], y[:3], member[:3], Pinv, Q, theta, b, sse, 1e-18, out[:3])
    A = Z[:3].T @ Z[:3]
    np.testing.assert_allclose(Pinv[0], np.linalg.pinv(A), atol=1e-8)
    np.testing.assert_allclose(Q[0], np.eye(p) - np.linalg.pinv(A) @ A, atol=1e-10)
    assert out[2, 0] == pytest.approx(0.0, abs=1e-12)    # 3 rows, 6 columns: exact fit


@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("yrange", [(-0.5, 0.7), (np.inf, -np.inf)])
def test_ridge_predict_is_the_chunk_kernels_prediction(clip, yrange):
    """ridge_predict: clip(Z theta) as numpy computes it (to rounding), the very bits of
    ridge_chunk's prediction before it learns, and of one row at a time."""
    rng = np.random.default_rng(5)
    Z, theta = rng.normal(size=(40, 7)), rng.normal(size=7) * 0.3
    rng_arr = np.array(yrange, float)
    out = np.empty(40)
    ridge_predict(Z, theta, rng_arr, clip, out)
    raw = Z @ theta
    expected = np.clip(raw, *yrange) if clip and yrange[0] <= yrange[1] else raw
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)
    one = np.empty(1)
    for t in range(40):
        ridge_predict(Z[t:t + 1], theta, rng_arr, clip, one)
        assert one[0] == out[t]
    # ridge_chunk's prediction of its first row, before learning it
    pred = np.empty(1)
    ridge_chunk(Z[:1], np.zeros(1), np.eye(7), theta.copy(), rng_arr.copy(), True, pred, clip)
    assert pred[0] == out[0]
