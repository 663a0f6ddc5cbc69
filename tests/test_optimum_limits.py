"""Fairness limits of randomized classifiers of cells (fairlearn_online.optimum)."""

import numpy as np
import pytest

from fairlearn_online.optimum import (
    FairnessLimit,
    aglfop_from_samples,
    fairness_limit,
    fairness_limit_curve,
    mutual_information,
    quantile_cells,
)


def _data(seed=0, n=1500, n_bins=6):
    rng = np.random.default_rng(seed)
    z = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    score = rng.random(n) + 0.25 * (z == "b") - 0.2 * (z == "c")
    y = (rng.random(n) < np.clip(score, 0.05, 0.95)).astype(int)
    cells = quantile_cells(score, n_bins)
    return cells, z, y


def _expand(cells, z, y, decision, cell_labels):
    """Samples of a randomized classifier: each row twice, weighted P(yhat=1) and P(yhat=0)."""
    index = {c: i for i, c in enumerate(cell_labels)}
    t = decision[[index[c] for c in cells]]
    return (np.concatenate([y, y]), np.concatenate([np.ones_like(y), np.zeros_like(y)]),
            np.concatenate([z, z]), np.concatenate([t, 1 - t]))


@pytest.mark.parametrize("constraint", ["demographic_parity", "equalized_odds"])
def test_disparity_of_the_optimum_matches_fairlearn(constraint):
    fairlearn = pytest.importorskip("fairlearn.metrics")
    cells, z, y = _data()
    for eps in [0.0, 0.05, 0.2]:
        res = fairness_limit(cells, z, y, constraint=constraint, eps=eps)
        assert isinstance(res, FairnessLimit) and res.status == "optimal"
        yt, yp, sf, w = _expand(cells, z, y, res.decision, res.cells)
        metric = getattr(fairlearn, f"{constraint}_difference")
        measured = metric(yt, yp, sensitive_features=sf, sample_weight=w)
        assert measured == pytest.approx(res.disparity, abs=1e-9)
        assert measured <= eps + 1e-9
        assert np.average(yt == yp, weights=w) == pytest.approx(res.accuracy, abs=1e-12)


@pytest.mark.parametrize("constraint", ["demographic_parity", "equalized_odds",
                                        "mutual_information"])
def test_loose_bound_gives_the_bayes_accuracy_of_the_cells(constraint):
    cells, z, y = _data(1)
    eps = 10.0 if constraint == "mutual_information" else 1.0
    res = fairness_limit(cells, z, y, constraint=constraint, eps=eps)
    counts = np.zeros((cells.max() + 1, 2))
    np.add.at(counts, (cells, y), 1.0)
    assert res.accuracy == pytest.approx(counts.max(axis=1).sum() / len(y), abs=1e-7)


@pytest.mark.parametrize("constraint", ["demographic_parity", "equalized_odds",
                                        "mutual_information"])
def test_random_classifiers_meeting_the_bound_score_at_most_the_limit(constraint):
    cells, z, y = _data(2, n=800, n_bins=5)
    rng = np.random.default_rng(3)
    probe = fairness_limit(cells, z, y, constraint=constraint, eps=0.0)  # for the data layout
    for _ in range(15):
        t = np.clip(rng.uniform(0.3, 0.7) + rng.normal(0, rng.uniform(0.01, 0.3), len(probe.cells)),
                    0, 1)
        index = {c: i for i, c in enumerate(probe.cells)}
        tt = t[[index[c] for c in cells]]
        acc = np.mean(tt * (y == 1) + (1 - tt) * (y == 0))
        if constraint == "mutual_information":
            q = np.array([[np.sum((1 - tt)[z == g]), np.sum(tt[z == g])] for g in "abc"]) / len(y)
            disparity = mutual_information(q)
        else:
            rates = [[tt[(z == g) & m].mean() for g in "abc"]
                     for m in ([np.ones_like(y, bool)] if constraint == "demographic_parity"
                               else [y == 0, y == 1])]
            disparity = max(np.ptp(r) for r in rates)
        res = fairness_limit(cells, z, y, constraint=constraint, eps=disparity)
        assert acc <= res.accuracy + 1e-7


def test_lp_agrees_with_a_cvxpy_formulation():
    cp = pytest.importorskip("cvxpy")
    cells, z, y = _data(4, n=600, n_bins=4)
    groups = ["a", "b", "c"]
    nc = cells.max() + 1
    for constraint in ["demographic_parity", "equalized_odds"]:
        for eps in [0.0, 0.1]:
            t = cp.Variable(nc)
            onehot = np.eye(nc)[cells]
            acc = cp.sum(cp.multiply(onehot @ t, 2 * y - 1) + (1 - y)) / len(y)
            masks = [[z == g for g in groups]] if constraint == "demographic_parity" else \
                [[(z == g) & (y == v) for g in groups] for v in (0, 1)]
            cons = [t >= 0, t <= 1]
            for family in masks:
                rates = [onehot[m].mean(axis=0) @ t for m in family]
                cons += [r1 - r2 <= eps for r1 in rates for r2 in rates]
            cp.Problem(cp.Maximize(acc), cons).solve(solver="CLARABEL")
            ours = fairness_limit(cells, z, y, constraint=constraint, eps=eps)
            assert ours.accuracy == pytest.approx(acc.value, abs=1e-6)


def test_mutual_information_limit_equals_aglfop_with_one_client():
    cells, z, y = _data(5, n=700, n_bins=4)
    for eps in [0.0, 0.003, 0.02]:
        res = fairness_limit(cells, z, y, constraint="mutual_information", eps=eps)
        ref = aglfop_from_samples(z, np.zeros(len(y)), y, eps, np.inf, cells=cells)
        assert res.accuracy == pytest.approx(ref.accuracy, abs=1e-7)
        assert res.disparity <= eps + 1e-6


def test_curve_is_monotone_and_default_grid_reaches_the_free_optimum():
    cells, z, y = _data(6)
    curve = fairness_limit_curve(cells, z, y, constraint="equalized_odds", n_points=8)
    assert list(curve.columns) == ["eps", "accuracy", "disparity", "constraint", "status"]
    assert len(curve) == 8 and curve["eps"].iloc[0] == 0.0
    assert np.all(np.diff(curve["accuracy"]) >= -1e-9)
    assert np.all(curve["disparity"] <= curve["eps"] + 1e-9)
    free = fairness_limit(cells, z, y, constraint="equalized_odds", eps=1.0)
    assert curve["accuracy"].iloc[-1] == pytest.approx(free.accuracy, abs=1e-9)
    # 2-D cells (score bin, group) can only help
    both = fairness_limit_curve(np.column_stack([cells, z]), z, y,
                                eps_grid=curve["eps"], constraint="equalized_odds")
    assert np.all(both["accuracy"].to_numpy() >= curve["accuracy"].to_numpy() - 1e-9)


def test_pos_label_and_string_labels():
    cells, z, y = _data(7, n=500)
    labels = np.where(y == 1, "yes", "no")
    a = fairness_limit(cells, z, labels, eps=0.05)
    b = fairness_limit(cells, z, y, eps=0.05)
    assert a.pos_label == "yes" and a.accuracy == pytest.approx(b.accuracy, abs=1e-12)
    c = fairness_limit(cells, z, labels, eps=0.05, pos_label="no")
    assert c.accuracy == pytest.approx(b.accuracy, abs=1e-9)  # DP is symmetric in the label
    np.testing.assert_allclose(c.decision, 1 - b.decision, atol=1e-7)


def test_quantile_cells():
    x = np.arange(100.0)
    cells = quantile_cells(x, 4)
    np.testing.assert_array_equal(np.bincount(cells), [25, 25, 25, 25])
    assert quantile_cells(np.ones(10), 5).max() == 0  # ties collapse
    with pytest.raises(ValueError, match="finite"):
        quantile_cells([0.1, np.nan])
    with pytest.raises(ValueError, match="n_bins"):
        quantile_cells([0.1, 0.2], 0)


def test_bad_input_raises():
    cells, z, y = _data(8, n=100)
    with pytest.raises(ValueError, match="constraint"):
        fairness_limit(cells, z, y, constraint="parity")
    with pytest.raises(ValueError, match="two classes"):
        fairness_limit(cells, z, np.arange(100) % 3)
    with pytest.raises(ValueError, match="two protected groups"):
        fairness_limit(cells, np.zeros(100), y)
    with pytest.raises(ValueError, match="eps must be a non-negative"):
        fairness_limit(cells, z, y, eps=-0.1)
    with pytest.raises(ValueError, match="pos_label"):
        fairness_limit(cells, z, y, pos_label=7)
    with pytest.raises(ValueError, match="z has 99 rows"):
        fairness_limit(cells, z[:99], y)
    with pytest.raises(ValueError, match="cells contains missing"):
        fairness_limit(np.where(cells == 0, np.nan, cells), z, y)
    with pytest.raises(ValueError, match="empty"):
        fairness_limit([], [], [])
    with pytest.raises(ValueError, match="n_points"):
        fairness_limit_curve(cells, z, y, n_points=1)


def test_equalized_odds_warns_for_a_group_without_positives():
    cells = np.array([0, 1, 0, 1, 0, 1])
    z = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([0, 1, 0, 1, 0, 0])
    with pytest.warns(RuntimeWarning, match="undefined"):
        res = fairness_limit(cells, z, y, constraint="equalized_odds", eps=0.0)
    assert 0 <= res.accuracy <= 1
