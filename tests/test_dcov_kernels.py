"""Each fast path of fairlearn_online.dcov against the direct O(n^2) matrix formulas (ties included)."""

import numpy as np
import pytest

from fairlearn_online.dcov import _kernels as K
from fairlearn_online.dcov import _stats as S


# ---------------------------------------------------------------- direct dense references
def _dist(X):
    X = np.asarray(X, float).reshape(len(X), -1)
    return np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))


def _u_center(a):
    n = len(a)
    r = a.sum(1)
    out = a - r[:, None] / (n - 2) - r[None, :] / (n - 2) + a.sum() / ((n - 1) * (n - 2))
    np.fill_diagonal(out, 0.0)
    return out


def _d_center(a):
    return a - a.mean(1)[:, None] - a.mean(0)[None, :] + a.mean()


def dense_dcov(x, y, unbiased):
    a, b = _dist(x), _dist(y)
    n = len(a)
    if unbiased:
        return (_u_center(a) * _u_center(b)).sum() / (n * (n - 3))
    return (_d_center(a) * _d_center(b)).mean()


def dense_grad(x, y, unbiased):
    """docs/user_guide/dcov.md: d dCov2_U / d x_k = 2/(n(n-3)) sum_j sign(x_k - x_j) B~_kj."""
    x = np.asarray(x, float).ravel()
    b = _dist(y)
    n = len(x)
    sign = np.sign(x[:, None] - x[None, :])
    if unbiased:
        return 2.0 / (n * (n - 3)) * (sign * _u_center(b)).sum(1)
    return 2.0 / n ** 2 * (sign * _d_center(b)).sum(1)


def _terms_dense(x, y):
    a, b = _dist(x), _dist(y)
    x = np.asarray(x, float).ravel()
    sign = np.sign(x[:, None] - x[None, :])
    r = b.sum(1)
    return (a * b).sum(), a.sum(1), r, (sign * b).sum(1), sign.sum(1), sign @ r


def _tied(rng, n, levels=7):
    return np.round(rng.normal(size=n) * levels) / levels


# ---------------------------------------------------------------- kernels
@pytest.mark.parametrize("seed", range(3))
def test_sorted_helpers_with_ties(seed):
    rng = np.random.default_rng(seed)
    x = _tied(rng, 57, levels=2)
    order = np.argsort(x, kind="stable")
    w = rng.normal(size=57)
    np.testing.assert_allclose(K.abs_row_sums(x, order), np.abs(x[:, None] - x).sum(1),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.sign_weighted_sums(x, order, w),
                               np.sign(x[:, None] - x) @ w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_cells_kernel_matches_dense(seed):
    rng = np.random.default_rng(seed)
    n, m = 83, 5
    x = _tied(rng, n, levels=3)
    cells = rng.integers(0, m, size=n).astype(np.int64)
    pts = rng.normal(size=(m, 2))
    D = _dist(pts)
    y = pts[cells]
    order = np.argsort(x)
    P, alpha, r, h, sigma, rho = K.cells_terms(x[order], cells[order], D, True)
    ref = _terms_dense(x, y)
    np.testing.assert_allclose(P, ref[0], rtol=1e-11)
    for got, want in zip((alpha, r, h, sigma, rho), ref[1:]):  # outputs in sorted order
        np.testing.assert_allclose(got, want[order], rtol=1e-11, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_fenwick_kernel_matches_dense(seed):
    rng = np.random.default_rng(seed)
    n = 91
    x = _tied(rng, n, levels=3)
    y = _tied(rng, n, levels=2) + 0.3 * x
    _, yrank = np.unique(y, return_inverse=True)
    beta = np.abs(y[:, None] - y).sum(1)
    P, h = K.fenwick_terms(x, y, np.argsort(x, kind="stable"), yrank.astype(np.int64),
                           int(yrank.max()) + 1, beta, True)
    Pd, _, _, hd, _, _ = _terms_dense(x, y)
    np.testing.assert_allclose(P, Pd, rtol=1e-11)
    np.testing.assert_allclose(h, hd, rtol=1e-11, atol=1e-9)


def test_pairs_kernel_matches_dense():
    rng = np.random.default_rng(5)
    X = np.round(rng.normal(size=(40, 1)), 1)
    Y = np.round(rng.normal(size=(40, 3)), 1)
    P, alpha, r, h = K.pairs_terms(X, Y, True)
    ref = _terms_dense(X, Y)
    for got, want in zip((P, alpha, r, h), ref[:4]):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-9)


# ---------------------------------------------------------------- every path, value + gradient
def _path_inputs(rng, path):
    n = 200 if path == "fenwick" else 64
    x = _tied(rng, n, levels=3)
    if path == "cells":  # few distinct rows of a 2-D variable
        y = rng.integers(0, 3, size=(n, 2)).astype(float)
    elif path == "fenwick":
        y = np.round(rng.normal(size=n), 2) + 0.5 * x  # > 64 values, some ties
    else:
        y = np.round(rng.normal(size=(n, 3)), 1)
    return x, y


@pytest.mark.parametrize("path", ["cells", "fenwick", "pairs"])
@pytest.mark.parametrize("unbiased", [True, False])
def test_each_path_value_and_gradient_match_direct_formula(path, unbiased, monkeypatch):
    rng = np.random.default_rng(11)
    x, y = _path_inputs(rng, path)
    called = []
    for name in ("cells_terms", "fenwick_terms", "pairs_terms"):
        original = getattr(K, name)
        monkeypatch.setattr(K, name, (lambda f, nm: lambda *a: called.append(nm) or f(*a))(
            original, name))
    value, grad = S.distance_covariance_grad(x, y, unbiased=unbiased)
    assert called[0] == f"{path}_terms"
    np.testing.assert_allclose(value, dense_dcov(x, y, unbiased), rtol=1e-10)
    np.testing.assert_allclose(grad, dense_grad(x, y, unbiased), rtol=1e-9, atol=1e-12)


def test_gradient_is_the_derivative_where_no_ties():
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    y = np.column_stack([rng.integers(0, 3, 30), rng.normal(size=30)])
    _, grad = S.distance_covariance_grad(x, y)
    eps = 1e-6
    for k in range(0, 30, 7):
        e = np.zeros(30)
        e[k] = eps
        fd = (S.distance_covariance(x + e, y) - S.distance_covariance(x - e, y)) / (2 * eps)
        assert abs(fd - grad[k]) < 1e-6 * max(1.0, abs(fd))


def test_jdcov_matches_dense_formula_and_gradient():
    rng = np.random.default_rng(2)
    n = 40
    x = _tied(rng, n, levels=4)
    s1 = rng.integers(0, 2, n).astype(float)
    s2 = np.round(rng.normal(size=(n, 2)), 1)
    variables = [x, s1, s2]
    c = 0.7
    # Chakraborty & Zhang (2019): U^i = -(U-centred distances), sum over all (k, l)
    Us = [-_u_center(_dist(v)) for v in variables]
    prod = np.ones((n, n))
    for U in Us:
        prod = prod * (U + c)
    ref = prod.sum() / (n * (n - 3)) - c ** 3 * n / (n - 3)
    value, grad = S.joint_distance_covariance_grad(variables, c=c)
    np.testing.assert_allclose(value, ref, rtol=1e-10)
    # gradient: W = prod_{i>=1}(U^i + c) off the diagonal; dJ/dx_k = -2/(n(n-3)) sum sign * W~
    W = (Us[1] + c) * (Us[2] + c)
    np.fill_diagonal(W, 0.0)
    sign = np.sign(x[:, None] - x)
    ref_grad = -2.0 / (n * (n - 3)) * (sign * _u_center(W)).sum(1)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)
    # and it is the derivative where x has no ties
    xs = rng.normal(size=n)
    _, g = S.joint_distance_covariance_grad([xs, s1, s2], c=c)
    eps = 1e-6
    e = np.zeros(n)
    e[3] = eps
    fd = (S.joint_distance_covariance([xs + e, s1, s2], c=c)
          - S.joint_distance_covariance([xs - e, s1, s2], c=c)) / (2 * eps)
    assert abs(fd - g[3]) < 1e-6
