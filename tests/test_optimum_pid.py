"""Partial information decomposition of disparity (docs/user_guide/optimum.md)."""

import warnings

import numpy as np
import pytest

from fairlearn_online.optimum import (
    DisparityDecomposition,
    conditional_mutual_information,
    disparity_decomposition,
    disparity_decomposition_from_joint,
    entropy,
    mutual_information,
)


def _xor():
    p = np.zeros((2, 2, 2))
    for yhat in (0, 1):
        for s in (0, 1):
            p[yhat ^ s, yhat, s] = 0.25
    return p


def _copy():
    p = np.zeros((2, 2, 2))
    p[0, 0, 0] = p[1, 1, 1] = 0.5
    return p


def _unique():
    p = np.zeros((2, 2, 2))
    for z in (0, 1):
        for s in (0, 1):
            p[z, z, s] = 0.25
    return p


def _check_identities(d, tol=1e-9):
    assert d.global_disparity == pytest.approx(d.unique + d.redundant, abs=tol)
    assert d.local_disparity == pytest.approx(d.unique + d.synergistic, abs=tol)
    assert min(d.unique, d.redundant, d.synergistic) >= 0


@pytest.mark.parametrize("name, p, expected", [
    ("copy", _copy(), dict(unique=0, redundant=1, synergistic=0)),
    ("xor", _xor(), dict(unique=0, redundant=0, synergistic=1)),
    ("unique", _unique(), dict(unique=1, redundant=0, synergistic=0)),
])
def test_canonical_examples_exact(name, p, expected):
    d = disparity_decomposition_from_joint(p)
    for key, value in expected.items():
        assert getattr(d, key) == pytest.approx(value, abs=1e-6), (name, key, d)
    _check_identities(d)


def test_canonical_examples_from_samples_with_string_labels():
    # XOR as samples with arbitrary hashable labels: Z = Yhat xor S
    yhat = np.array(["no", "no", "yes", "yes"] * 3, dtype=object)
    s = np.array(["A", "B", "A", "B"] * 3, dtype=object)
    z = np.where((yhat == "yes") ^ (s == "B"), "women", "men")
    d = disparity_decomposition(z, yhat, s)
    assert d.synergistic == pytest.approx(1.0, abs=1e-6)
    assert d.global_disparity == pytest.approx(0.0, abs=1e-9)
    # unique: S independent of Z = Yhat
    d = disparity_decomposition(z, np.where(z == "women", 1, 0), ["c1", "c2"] * 6)
    assert d.unique == pytest.approx(1.0, abs=1e-6)


def test_result_is_frozen_dataclass():
    d = disparity_decomposition_from_joint(_xor())
    assert isinstance(d, DisparityDecomposition)
    with pytest.raises(AttributeError):
        d.unique = 3.0
    assert set(d.to_dict()) >= {"global_disparity", "local_disparity", "unique", "redundant",
                                "synergistic", "status"}


def _dit_pid(p):
    """dit's BROJA PID of p[z, yhat, s]: dit's sources are (yhat, s), target z (last index)."""
    dit = pytest.importorskip("dit")
    pytest.importorskip("ecos")  # dit's exponential-cone BROJA solver (method="cone")
    from dit.pid import PID_BROJA

    outcomes, pmf = [], []
    for idx in np.ndindex(*p.shape):
        if p[idx] > 0:
            outcomes.append((idx[1], idx[2], idx[0]))
            pmf.append(p[idx])
    dist = dit.Distribution(outcomes, pmf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pid = PID_BROJA(dist, [[0], [1]], [2], method="cone")
    # ((0,),) = unique of source 0 (Yhat), ((0,),(1,)) = redundancy, ((0,1),) = synergy
    return pid.get_pi(((0,),)), pid.get_pi(((0,), (1,))), pid.get_pi(((0, 1),))


def test_agrees_with_dit_broja_on_50_random_distributions():
    rng = np.random.default_rng(2024)
    worst = 0.0
    for k in range(50):
        shape = tuple(rng.integers(2, 4, size=3))
        p = rng.dirichlet(np.full(int(np.prod(shape)), 0.5)).reshape(shape)
        if k % 5 == 0:  # exact zero cells
            p[tuple(rng.integers(0, n) for n in shape)] = 0.0
            p /= p.sum()
        d = disparity_decomposition_from_joint(p)
        _check_identities(d)
        uni, red, syn = _dit_pid(p)
        worst = max(worst, abs(d.unique - uni), abs(d.redundant - red), abs(d.synergistic - syn))
    assert worst < 1e-5


def test_information_helpers_match_definitions():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(12)).reshape(2, 3, 2)
    pxy = p.sum(axis=2)
    h = lambda q: entropy(q)  # noqa: E731
    assert mutual_information(pxy) == pytest.approx(
        h(pxy.sum(1)) + h(pxy.sum(0)) - h(pxy), abs=1e-12)
    assert conditional_mutual_information(p) == pytest.approx(
        h(p.sum(1)) + h(p.sum(0)) - h(p) - h(p.sum((0, 1))), abs=1e-12)


def test_local_disparity_is_weighted_average_over_clients():
    rng = np.random.default_rng(1)
    n = 400
    z, s = rng.integers(0, 2, n), rng.integers(0, 3, n)
    yhat = (rng.random(n) < 0.3 + 0.4 * z * (s == 1)).astype(int)
    d = disparity_decomposition(z, yhat, s)
    per_client = 0.0
    for c in range(3):
        m = s == c
        pc = np.zeros((2, 2))
        np.add.at(pc, (z[m], yhat[m]), 1.0)
        per_client += m.mean() * mutual_information(pc / pc.sum())
    assert d.local_disparity == pytest.approx(per_client, abs=1e-12)
    _check_identities(d)


def test_zero_slices_and_constant_variables():
    p = np.zeros((3, 2, 2))
    p[:2] = _unique()  # a third protected value that never occurs
    assert disparity_decomposition_from_joint(p).unique == pytest.approx(1.0, abs=1e-6)
    d = disparity_decomposition([0, 1, 0, 1], [1, 1, 1, 1], [0, 0, 1, 1])
    assert d.global_disparity == d.local_disparity == d.unique == 0.0
    d = disparity_decomposition([0, 1, 0, 1], [0, 1, 0, 1], [5, 5, 5, 5])  # single client
    assert d.unique == pytest.approx(1.0) and d.redundant == d.synergistic == 0.0


def test_sample_weight_equals_repeated_samples():
    rng = np.random.default_rng(3)
    z, yhat, s = (rng.integers(0, 2, 30) for _ in range(3))
    w = rng.integers(1, 4, 30)
    a = disparity_decomposition(z, yhat, s, sample_weight=w)
    b = disparity_decomposition(np.repeat(z, w), np.repeat(yhat, w), np.repeat(s, w))
    assert a.unique == pytest.approx(b.unique, abs=1e-7)
    assert a.global_disparity == pytest.approx(b.global_disparity, abs=1e-12)


@pytest.mark.parametrize("p, match", [
    (np.ones((2, 2)) / 4, "3 axes"),
    (np.full((2, 2, 2), 0.2), "sum to 1"),
    (np.array([[[0.5, -0.1], [0.3, 0.3]], [[0, 0], [0, 0]]]), "negative"),
    (np.full((2, 2, 2), np.nan), "NaN"),
])
def test_bad_joint_raises(p, match):
    with pytest.raises(ValueError, match=match):
        disparity_decomposition_from_joint(p)


def test_bad_samples_raise():
    with pytest.raises(ValueError, match="yhat"):
        disparity_decomposition([0, 1, 0], [0, 1], [0, 0, 1])
    with pytest.raises(ValueError, match="s contains missing"):
        disparity_decomposition([0, 1], [0, 1], [0, None])
    with pytest.raises(ValueError, match="empty"):
        disparity_decomposition([], [], [])
    with pytest.raises(ValueError, match="sample_weight"):
        disparity_decomposition([0, 1], [0, 1], [0, 1], sample_weight=[-1, 1])
