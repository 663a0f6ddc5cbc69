"""fairness_frontier (any estimator with a knob) and the cross-fitted post-processing limit."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from fairlearn_online import AranyaniClassifier  # noqa: E402
from fairlearn_online.frontier import (FrontierFrame, fairness_frontier, pareto_mask,  # noqa: E402
                                       postprocessing_limit)
from fairlearn_online.metrics import demographic_parity_difference  # noqa: E402


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    X = np.column_stack([rng.normal(size=n) + g, rng.normal(size=n), g])
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.7, size=n) > 0.6).astype(int)
    return X, y, np.where(g == 1, "m", "f")


def test_pareto_mask_against_brute_force():
    rng = np.random.default_rng(1)
    d, a = rng.random(40).round(1), rng.random(40).round(1)  # ties included
    mask = pareto_mask(d, a)
    for i in range(40):
        dominated = any(d[j] <= d[i] and a[j] >= a[i] and (d[j] < d[i] or a[j] > a[i])
                        for j in range(40))
        assert mask[i] == (not dominated)
    with pytest.raises(ValueError, match="same length"):
        pareto_mask([0.1], [0.2, 0.3])


def test_holdout_frontier_matches_a_manual_split():
    from sklearn.model_selection import train_test_split

    X, y, g = _data()
    frame = fairness_frontier(LogisticRegression(), "C", [0.001, 1.0], X, y,
                              sensitive_features=g, protocol="holdout", seeds=[3])
    assert isinstance(frame, FrontierFrame) and len(frame) == 2
    assert set(frame.columns) >= {"param", "value", "seed", "accuracy", "pareto_optimal",
                                  "demographic_parity_difference", "equalized_odds_difference"}
    # the same split by hand
    rng = np.random.default_rng(3)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                              random_state=int(rng.integers(2**31 - 1)))
    pred = LogisticRegression(C=1.0).fit(X[tr], y[tr]).predict(X[te])
    row = frame[frame["value"] == 1.0].iloc[0]
    assert row["accuracy"] == pytest.approx(np.mean(pred == y[te]))
    assert row["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y[te], pred, sensitive_features=g[te]))


def test_prequential_frontier_of_the_forest_and_plot():
    X, y, g = _data(400)
    frame = fairness_frontier(AranyaniClassifier(n_trees=1, depth=2), "fairness_weight",
                              [0.0, 10.0], X, y, sensitive_features=g, seeds=2)
    assert len(frame) == 4 and sorted(frame["seed"].unique()) == [0, 1]
    summ = frame.summary()
    assert summ["n_seeds"].tolist() == [2, 2] and summ["pareto_optimal"].any()
    # the same point by hand: seed 1, rows in rng(1)'s permutation, random_state=1
    from fairlearn_online.evaluate import prequential

    order = np.random.default_rng(1).permutation(len(y))
    est = AranyaniClassifier(n_trees=1, depth=2, fairness_weight=10.0, random_state=1)
    last = prequential(est, X[order], y[order], sensitive_features=g[order], every=len(y),
                       progress=False).iloc[-1]
    row = frame[(frame["value"] == 10.0) & (frame["seed"] == 1)].iloc[0]
    assert row["accuracy"] == pytest.approx(last["accuracy"])
    limit = postprocessing_limit(X, y, sensitive_features=g, eps_grid=[0.0, 0.1, 0.3])
    ax = frame.plot(limit=limit)
    labels = ax.get_legend_handles_labels()[1]
    assert "Pareto-optimal" in labels and any("cross-fitted" in lab for lab in labels)


def test_fairlearn_reduction_in_holdout():
    reductions = pytest.importorskip("fairlearn.reductions")
    from sklearn.model_selection import train_test_split

    class SeededExponentiatedGradient(reductions.ExponentiatedGradient):
        """fairlearn's predict draws from the randomized classifier; fix its seed."""

        def predict(self, X):
            return super().predict(X, random_state=0)

    X, y, g = _data(500)
    est = SeededExponentiatedGradient(LogisticRegression(), reductions.DemographicParity())
    frame = fairness_frontier(est, "eps", [0.01, 0.2], X, y, sensitive_features=g,
                              protocol="holdout", seeds=[3])
    assert frame["value"].tolist() == [0.01, 0.2]
    # the same point by hand: fit needs sensitive_features, so the frontier passed them
    rng = np.random.default_rng(3)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y,
                              random_state=int(rng.integers(2**31 - 1)))
    for eps in (0.01, 0.2):
        by_hand = SeededExponentiatedGradient(LogisticRegression(), reductions.DemographicParity(),
                                              eps=eps).fit(X[tr], y[tr], sensitive_features=g[tr])
        pred = by_hand.predict(X[te])
        row = frame[frame["value"] == eps].iloc[0]
        assert row["accuracy"] == pytest.approx(np.mean(pred == y[te]))
        assert row["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y[te], pred, sensitive_features=g[te]))


def test_misuse_is_rejected():
    X, y, g = _data(100)
    lr = LogisticRegression()
    with pytest.raises(ValueError, match="protocol"):
        fairness_frontier(lr, "C", [1.0], X, y, sensitive_features=g, protocol="online")
    with pytest.raises(ValueError, match="param"):
        fairness_frontier(lr, "fairness_weight", [1.0], X, y, sensitive_features=g)
    with pytest.raises(TypeError, match="partial_fit"):
        fairness_frontier(lr, "C", [1.0], X, y, sensitive_features=g)
    with pytest.raises(ValueError, match="same number of rows"):
        fairness_frontier(lr, "C", [1.0], X, y[:50], sensitive_features=g, protocol="holdout")
    with pytest.raises(ValueError, match="values"):
        fairness_frontier(lr, "C", [], X, y, sensitive_features=g, protocol="holdout")
    with pytest.raises(ValueError, match="seeds"):
        fairness_frontier(lr, "C", [1.0], X, y, sensitive_features=g, protocol="holdout",
                          seeds=0)


def test_postprocessing_limit_is_out_of_sample_and_below_the_in_sample_optimum():
    X, y, g = _data(2000, seed=4)
    eps = [0.0, 0.05, 0.4]
    out = postprocessing_limit(X, y, sensitive_features=g, eps_grid=eps, n_bins=10)
    ins = postprocessing_limit(X, y, sensitive_features=g, eps_grid=eps, n_bins=10,
                               in_sample=True)
    assert out["accuracy"].is_monotonic_increasing or np.ptp(out["accuracy"]) < 0.02
    assert (ins["demographic_parity_difference"] <= np.array(eps) + 1e-9).all()
    # held-out accuracy cannot beat the in-sample LP optimum by more than sampling noise
    assert (out["accuracy"] <= ins["accuracy"] + 0.02).all()
    # at eps = 0 the out-of-sample decision is nearly fair
    assert out["demographic_parity_difference"].iloc[0] < 0.08
    with pytest.raises(ValueError, match="binary"):
        postprocessing_limit(X, y + 1, sensitive_features=g)
