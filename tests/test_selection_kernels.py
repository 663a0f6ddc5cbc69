"""The numba kernels of fairlearn_online.selection against plain numpy references."""

import itertools
import math

import numpy as np
import pytest

from fairlearn_online.selection._kernels import (accumulate_position_counts, first_invalid_row,
                                                 mallows_rim, owa_gains, owa_scores)


def _random_rankings(rng, n, m):
    return np.argsort(rng.random((n, m)), axis=1).astype(np.int64)


def _ref_owa(rankings, weights, committee, beta, lam):
    """f_v(S) = sum_j lam_j beta(pos_v(s_(j))), straight from the definition."""
    pos = np.argsort(rankings, axis=1)  # pos[v, i] = position of item i
    member_pos = np.sort(pos[:, committee], axis=1)  # members in each voter's order
    return weights * (lam[None, :len(committee)] * beta[member_pos]).sum(axis=1)


def _random_rule(rng, m, k):
    beta = np.sort(rng.normal(size=m))[::-1]
    lam = rng.normal(size=k)
    return beta, lam


@pytest.mark.parametrize("seed", range(5))
def test_owa_scores_matches_definition(seed):
    rng = np.random.default_rng(seed)
    n, m = 30, int(rng.integers(2, 15))
    k = int(rng.integers(1, m + 1))
    R = _random_rankings(rng, n, m)
    beta, lam = _random_rule(rng, m, k)
    w = rng.random(n)
    size = int(rng.integers(1, k + 1))  # partial committees use the first weights
    committee = rng.choice(m, size=size, replace=False)
    mask = np.zeros(m, dtype=np.bool_)
    mask[committee] = True
    np.testing.assert_allclose(owa_scores(R, w, mask, beta, lam),
                               _ref_owa(R, w, committee, beta, lam), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_owa_gains_are_marginal_differences(seed):
    rng = np.random.default_rng(100 + seed)
    n, m = 25, int(rng.integers(3, 12))
    k = int(rng.integers(2, m + 1))
    R = _random_rankings(rng, n, m)
    beta, lam = _random_rule(rng, m, k)
    w = rng.random(n)
    size = int(rng.integers(0, k))
    committee = rng.choice(m, size=size, replace=False)
    mask = np.zeros(m, dtype=np.bool_)
    mask[committee] = True
    gains = np.empty(m)
    owa_gains(R, w, mask, beta, lam, gains)
    base = _ref_owa(R, w, committee, beta, lam).sum() if size else 0.0
    for i in range(m):
        if mask[i]:
            assert gains[i] == 0.0
            continue
        ref = _ref_owa(R, w, np.append(committee, i).astype(int), beta, lam).sum() - base
        assert gains[i] == pytest.approx(ref, rel=1e-10, abs=1e-10)


def test_position_counts_match_bincount():
    rng = np.random.default_rng(0)
    R = _random_rankings(rng, 500, 9)
    counts = np.zeros((9, 9), dtype=np.int64)
    accumulate_position_counts(R, counts)
    ref = np.stack([np.bincount(R[:, p], minlength=9) for p in range(9)], axis=1)
    np.testing.assert_array_equal(counts, ref)
    accumulate_position_counts(R[:7], counts)  # accumulates
    np.testing.assert_array_equal(counts.sum(axis=0), np.full(9, 507))


def test_first_invalid_row():
    rng = np.random.default_rng(0)
    R = _random_rankings(rng, 20, 6)
    assert first_invalid_row(R) == (-1, 0)
    bad = R.copy()
    bad[7, 2] = 6
    assert first_invalid_row(bad) == (7, 1)
    bad = R.copy()
    bad[4, 0] = bad[4, 1]
    assert first_invalid_row(bad) == (4, 2)
    bad = R.copy()
    bad[11, 3] = -1
    assert first_invalid_row(bad) == (11, 1)


def _kendall_tau(ranking, center):
    pos = np.empty(len(center), dtype=int)
    pos[ranking] = np.arange(len(ranking))
    c = pos[center]  # positions of the centre's items, in the centre's order
    return sum(int(c[a] > c[b]) for a in range(len(c)) for b in range(a + 1, len(c)))


@pytest.mark.parametrize("phi", [0.3, 0.7, 1.0])
def test_mallows_rim_matches_exact_distribution(phi):
    """P(ranking) ∝ phi ** KT(ranking, centre): total variation from 60k draws is small."""
    m = 4
    center = np.array([2, 0, 3, 1], dtype=np.int64)
    rng = np.random.default_rng(1)
    n = 60_000
    out = mallows_rim(center, rng.random((n, m)), phi)
    perms = list(itertools.permutations(range(m)))
    probs = np.array([phi ** _kendall_tau(np.array(p), center) for p in perms])
    probs /= probs.sum()
    index = {p: j for j, p in enumerate(perms)}
    codes = np.array([index[tuple(r)] for r in out.tolist()])
    freq = np.bincount(codes, minlength=len(perms)) / n
    assert 0.5 * np.abs(freq - probs).sum() < 0.015


def test_mallows_rim_edge_dispersions():
    rng = np.random.default_rng(0)
    center = rng.permutation(7).astype(np.int64)
    out = mallows_rim(center, rng.random((5, 7)), 0.0)
    assert (out == center).all()
    out = mallows_rim(center, rng.random((50, 7)), 1.0)
    assert all(sorted(r) == list(range(7)) for r in out.tolist())
    # expected Kendall tau under phi: sum_i E[d_i], d_i truncated geometric on {0..i}
    phi = 0.6
    out = mallows_rim(center, rng.random((20_000, 7)), phi)
    mean_kt = np.mean([_kendall_tau(r, center) for r in out[:4000]])
    expect = sum(sum(d * phi ** d for d in range(i + 1)) / sum(phi ** d for d in range(i + 1))
                 for i in range(7))
    assert mean_kt == pytest.approx(expect, abs=0.15)
    assert math.isfinite(mean_kt)


def test_mallows_position_marginals_match_prefsampling():
    """Peer cross-check: item-position frequencies agree with prefsampling's Mallows sampler."""
    prefsampling = pytest.importorskip("prefsampling.ordinal")
    m, n, phi = 6, 20_000, 0.7
    center = np.arange(m, dtype=np.int64)
    ours = mallows_rim(center, np.random.default_rng(0).random((n, m)), phi)
    peer = np.asarray(prefsampling.mallows(n, m, phi, central_vote=center, seed=1))
    for R in (ours, peer):
        assert all(sorted(r) == list(range(m)) for r in R[:50].tolist())
    ours_freq = np.stack([np.bincount(ours[:, p], minlength=m) for p in range(m)]) / n
    peer_freq = np.stack([np.bincount(peer[:, p], minlength=m) for p in range(m)]) / n
    assert np.abs(ours_freq - peer_freq).max() < 0.02
