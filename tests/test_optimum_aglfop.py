"""AGLFOP: accuracy and global-local fairness optimality (docs/user_guide/optimum.md)."""

import numpy as np
import pytest
from scipy.optimize import linprog

from fairlearn_online.optimum import (
    AGLFOPResult,
    aglfop,
    aglfop_from_samples,
    aglfop_frontier,
    conditional_mutual_information,
    mutual_information,
)


def _random_p(rng, shape=(2, 3, 2), alpha=1.0):
    return rng.dirichlet(np.full(int(np.prod(shape)), alpha)).reshape(shape)


def _scores(p, channel):
    """Accuracy, I(Z;Yhat), I(Z;Yhat|S) of a channel Q(Yhat|Z,S,Y) of shape (z,s,y,yhat)."""
    joint = p[..., None] * channel
    acc = float(np.einsum("zsyy->", joint))
    i_g = mutual_information(joint.sum(axis=(1, 2)))
    i_l = conditional_mutual_information(joint.sum(axis=2).transpose(0, 2, 1))
    return acc, i_g, i_l


def _random_channel(rng, p, inputs, fairness):
    nz, ns, ny = p.shape
    base = rng.dirichlet(np.ones(ny))
    shape = (nz, ns, ny) if inputs == "zsy" else (nz, ns, 1)
    noise = rng.dirichlet(np.ones(ny), size=shape)
    channel = (1 - fairness) * noise + fairness * base  # fairness=1: constant, fully fair
    return np.broadcast_to(channel, (nz, ns, ny, ny)).copy()


def test_loose_constraints_give_the_bayes_accuracy():
    rng = np.random.default_rng(0)
    p = _random_p(rng, (2, 4, 3))
    # (Z,S,Y) channel: the paper's problem sees Y, so its Bayes accuracy is 1
    assert aglfop(p).accuracy == pytest.approx(1.0, abs=1e-7)
    # (Z,S) channel: Bayes accuracy sum_{z,s} max_y P(z,s,y)
    res = aglfop(p, np.inf, np.inf, inputs="zs")
    assert res.accuracy == pytest.approx(p.max(axis=2).sum(), abs=1e-7)
    # a bound above the unconstrained optimum's disparities changes nothing
    res2 = aglfop(p, res.global_disparity + 0.1, res.local_disparity + 0.1, inputs="zs")
    assert res2.accuracy == pytest.approx(res.accuracy, abs=1e-7)


@pytest.mark.parametrize("inputs", ["zsy", "zs"])
def test_monotone_in_both_epsilons_and_frontier_matches_single_solves(inputs):
    rng = np.random.default_rng(1)
    p = _random_p(rng, (2, 3, 2))
    grid_g = [0.0, 0.002, 0.01, 0.05, np.inf]
    grid_l = [0.0, 0.003, 0.02, 0.08, np.inf]
    frame = aglfop_frontier(p, grid_g, grid_l, inputs=inputs)
    assert list(frame.columns) == ["eps_global", "eps_local", "accuracy", "global_disparity",
                                   "local_disparity", "status"]
    acc = frame["accuracy"].to_numpy().reshape(len(grid_g), len(grid_l))
    assert np.all(np.diff(acc, axis=0) >= -1e-6)
    assert np.all(np.diff(acc, axis=1) >= -1e-6)
    assert np.all(frame["global_disparity"] <= frame["eps_global"] + 1e-6)
    assert np.all(frame["local_disparity"] <= frame["eps_local"] + 1e-6)
    for i, j in [(0, 0), (2, 1), (3, 4)]:
        single = aglfop(p, grid_g[i], grid_l[j], inputs=inputs)
        assert single.accuracy == pytest.approx(acc[i, j], abs=1e-6)


@pytest.mark.parametrize("inputs", ["zsy", "zs"])
def test_random_classifiers_meeting_the_bounds_score_at_most_the_optimum(inputs):
    rng = np.random.default_rng(2)
    for trial in range(12):
        p = _random_p(rng, (2, int(rng.integers(2, 4)), 2))
        channel = _random_channel(rng, p, inputs, fairness=rng.uniform(0.3, 0.95))
        acc, i_g, i_l = _scores(p, channel)
        res = aglfop(p, i_g, i_l, inputs=inputs)
        assert acc <= res.accuracy + 1e-6, (trial, acc, res.accuracy)
        # and the optimum itself meets the bounds
        assert res.global_disparity <= i_g + 1e-6 and res.local_disparity <= i_l + 1e-6


def _zero_bound_lp(p, inputs, global_zero, local_zero):
    """Exact fairness as a linear program in the channel (independent check of eps = 0)."""
    nz, ns, ny = p.shape
    nx = nz * ns * ny if inputs == "zsy" else nz * ns

    def x_of(z, s, y):
        return (z * ns + s) * ny + y if inputs == "zsy" else z * ns + s

    nv = nx * ny  # variable c[x, yhat] at x * ny + yhat
    cost = np.zeros(nv)
    A_eq, b_eq = [], []
    for z, s, y in np.ndindex(p.shape):
        cost[x_of(z, s, y) * ny + y] -= p[z, s, y]
    for x in range(nx):
        row = np.zeros(nv)
        row[x * ny:(x + 1) * ny] = 1
        A_eq.append(row)
        b_eq.append(1.0)

    def q_rows(mask):  # row vector of q(mask, yhat) for each yhat
        rows = np.zeros((ny, nv))
        for z, s, y in np.ndindex(p.shape):
            if mask(z, s):
                for yh in range(ny):
                    rows[yh, x_of(z, s, y) * ny + yh] += p[z, s, y]
        return rows

    p_z = p.sum(axis=(1, 2))
    p_zs = p.sum(axis=2)
    if global_zero:  # q(z, yhat) = P(z) q(yhat)
        total = q_rows(lambda z, s: True)
        for z in range(nz):
            for row in q_rows(lambda zz, s: zz == z) - p_z[z] * total:
                A_eq.append(row)
                b_eq.append(0.0)
    if local_zero:  # q(z, s, yhat) = P(z|s) q(s, yhat)
        for s in range(ns):
            q_s = q_rows(lambda z, ss: ss == s)
            for z in range(nz):
                ref = p_zs[z, s] / p_zs[:, s].sum() * q_s
                for row in q_rows(lambda zz, ss: zz == z and ss == s) - ref:
                    A_eq.append(row)
                    b_eq.append(0.0)
    out = linprog(cost, A_eq=np.array(A_eq), b_eq=b_eq, bounds=(0, 1), method="highs")
    assert out.status == 0
    return -out.fun


@pytest.mark.parametrize("inputs", ["zsy", "zs"])
@pytest.mark.parametrize("eps_g, eps_l", [(0.0, 0.0), (0.0, np.inf), (np.inf, 0.0)])
def test_zero_bounds_equal_the_linear_program(inputs, eps_g, eps_l):
    rng = np.random.default_rng(3)
    p = _random_p(rng, (2, 3, 2))
    res = aglfop(p, eps_g, eps_l, inputs=inputs)
    assert res.status == "optimal"
    expected = _zero_bound_lp(p, inputs, eps_g == 0, eps_l == 0)
    assert res.accuracy == pytest.approx(expected, abs=1e-6)


def test_result_channel_and_joint():
    rng = np.random.default_rng(4)
    p = _random_p(rng, (3, 2, 2))
    p[1, 0, :] = 0.0  # a (z, s) cell that never occurs
    p /= p.sum()
    res = aglfop(p, 0.01, 0.02)
    assert isinstance(res, AGLFOPResult)
    assert res.channel.shape == (3, 2, 2, 2)
    np.testing.assert_allclose(res.channel.sum(axis=-1), 1.0, atol=1e-9)
    assert res.channel.min() >= 0
    np.testing.assert_allclose(res.channel[1, 0], 0.5)  # zero-probability cells: uniform
    acc, i_g, i_l = _scores(p, res.channel)
    assert acc == pytest.approx(res.accuracy, abs=1e-12)
    assert i_g == pytest.approx(res.global_disparity) and i_l == pytest.approx(res.local_disparity)
    np.testing.assert_allclose(res.joint.sum(axis=-1), p, atol=1e-12)
    zs = aglfop(p, 0.01, 0.02, inputs="zs")
    np.testing.assert_allclose(zs.channel[:, :, 0], zs.channel[:, :, 1])  # does not see Y


def test_from_samples_matches_distribution():
    rng = np.random.default_rng(5)
    n = 500
    z = rng.choice(["f", "m"], n)
    s = rng.integers(0, 3, n)
    y = (rng.random(n) < np.where(z == "m", 0.4, 0.2)).astype(int)
    res = aglfop_from_samples(z, s, y, 0.005, 0.01)
    assert res.labels == {"z": ["f", "m"], "s": [0, 1, 2], "y": [0, 1]}
    p = np.zeros((2, 3, 2))
    np.add.at(p, ((z == "m").astype(int), s, y), 1.0 / n)
    assert res.accuracy == pytest.approx(aglfop(p, 0.005, 0.01).accuracy, abs=1e-7)


@pytest.mark.parametrize("p, match", [
    (np.ones((2, 2)) / 4, "3 axes"),
    (np.full((2, 2, 2), 0.2), "sum to 1"),
    (np.array([[[0.6, -0.1], [0.3, 0.2]], [[0, 0], [0, 0]]]), "negative"),
    (np.full((2, 2, 2), np.inf), "NaN or infinite"),
    (np.full((1, 2, 2), 0.25), "two protected groups"),
])
def test_bad_distribution_raises(p, match):
    with pytest.raises(ValueError, match=match):
        aglfop(p, 0.1, 0.1)


def test_bad_bounds_and_options_raise():
    p = np.full((2, 2, 2), 0.125)
    with pytest.raises(ValueError, match="eps_global.*infeasible"):
        aglfop(p, -0.1, 0.1)
    with pytest.raises(ValueError, match="eps_local is NaN"):
        aglfop(p, 0.1, np.nan)
    with pytest.raises(TypeError, match="eps_global"):
        aglfop(p, "loose", 0.1)
    with pytest.raises(ValueError, match="inputs"):
        aglfop(p, inputs="x")
    with pytest.raises(ValueError, match="eps_local_grid"):
        aglfop_frontier(p, [0.1], [0.1, -1])
    with pytest.raises(ValueError, match="two protected groups"):
        aglfop_from_samples([1, 1, 1], [0, 1, 0], [0, 1, 1])
    with pytest.raises(ValueError, match="s has 2 rows"):
        aglfop_from_samples([0, 1, 1], [0, 1], [0, 1, 1])


def test_classifier_of_cells_generalizes_the_input_choice():
    rng = np.random.default_rng(6)
    n = 600
    z, s = rng.integers(0, 2, n), rng.integers(0, 3, n)
    y = (rng.random(n) < 0.25 + 0.3 * z).astype(int)
    for eps in [(0.0, 0.0), (0.01, 0.002), (np.inf, np.inf)]:
        zsy = aglfop_from_samples(z, s, y, *eps)
        as_cells = aglfop_from_samples(z, s, y, *eps, cells=np.column_stack([z, s, y]))
        assert as_cells.accuracy == pytest.approx(zsy.accuracy, abs=1e-6)
        zs = aglfop_from_samples(z, s, y, *eps, inputs="zs")
        as_cells = aglfop_from_samples(z, s, y, *eps, cells=np.column_stack([z, s]))
        assert as_cells.accuracy == pytest.approx(zs.accuracy, abs=1e-6)
    assert as_cells.inputs == "cells" and as_cells.channel.shape == (6, 2)
    np.testing.assert_allclose(as_cells.joint.sum(axis=-1), zs.p_zsy, atol=1e-12)
    # a classifier that sees nothing predicts the majority class
    blind = aglfop_from_samples(z, s, y, cells=np.zeros(n))
    assert blind.accuracy == pytest.approx(max(y.mean(), 1 - y.mean()), abs=1e-7)
    # the 4-D distribution form gives the same
    p4 = as_cells.p_cells
    assert aglfop(p4, 0.01, 0.002).accuracy == pytest.approx(
        aglfop_from_samples(z, s, y, 0.01, 0.002, cells=np.column_stack([z, s])).accuracy,
        abs=1e-7)


def test_badly_scaled_entries_warn_and_solver_failures_raise():
    p = np.full((2, 2, 2), 0.125)
    p[0, 0, 0] = 1e-14
    p /= p.sum()
    with pytest.warns(RuntimeWarning, match="badly scaled"):
        res = aglfop(p, 0.01, 0.01)
    assert res.status in ("optimal", "optimal_inaccurate")
    # a solver without exponential cones cannot solve the program: a clear RuntimeError
    with pytest.raises(RuntimeError, match="AGLFOP could not be solved"):
        aglfop(np.full((2, 2, 2), 0.125), 0.01, 0.01, solver="OSQP")
