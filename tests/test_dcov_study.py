"""dcov-compas-study: the post-processing references, the tuned threshold, one quick run."""

import numpy as np
import pandas as pd
import pytest

from fairlearn_online.experiments import get_experiment
from fairlearn_online.experiments import dcov_study
from fairlearn_online.experiments.dcov_study import (
    AGE_QUARTILE_PROTOCOL,
    _best_training_threshold,
    age_bins,
    group_thresholds_side_alignment,
    quantile_repair,
    subgroup_codes,
    summarize,
)


def _scores(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 4, n)
    p = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + 0.6 * (g - 1.5))))
    return p, g


def test_quantile_repair_is_identity_at_0_and_equalizes_distributions_at_1():
    p, g = _scores()
    np.testing.assert_array_equal(quantile_repair(p, g, p, g, 0.0), p)
    full = quantile_repair(p, g, p, g, 1.0)
    deciles = np.linspace(0.1, 0.9, 9)
    pooled = np.quantile(p, deciles)
    for c in range(4):
        np.testing.assert_allclose(np.quantile(full[g == c], deciles), pooled, atol=0.02)
    # within a subgroup the order of the scores is kept
    for c in range(4):
        assert np.all(np.diff(full[g == c][np.argsort(p[g == c])]) >= -1e-12)


@pytest.mark.parametrize("t", [0.0, 0.4, 1.0])
def test_group_thresholds_side_alignment_rates_and_decisions(t):
    p, g = _scores(seed=1)
    out = group_thresholds_side_alignment(p, g, p, g, t)
    pooled = np.mean(p > 0.5)
    for c in range(4):
        own = np.mean(p[g == c] > 0.5)
        want = (1 - t) * own + t * pooled
        assert abs(np.mean(out[g == c] > 0.5) - want) <= 2.0 / np.sum(g == c)
    if t == 0.0:  # every decision kept, only the scores within each side move
        np.testing.assert_array_equal(out > 0.5, p > 0.5)
    # each side takes values of the pooled scores of that side of 0.5
    assert out[out > 0.5].min() >= p[p > 0.5].min() - 1e-12
    assert out[out <= 0.5].max() <= p[p <= 0.5].max() + 1e-12


def test_subgroup_codes_bin_age_on_the_training_rows():
    train = pd.DataFrame({"race": ["a", "b"] * 4, "sex": ["F"] * 8, "age": [20, 21, 30, 31, 40, 41, 50, 51]})
    test = pd.DataFrame({"race": ["a", "a", "c"], "sex": ["F", "F", "M"], "age": [5, 99, 35]})
    c_train, c_test = subgroup_codes(train, test, numeric_bins=2)
    assert len(set(c_train)) == 4  # 2 races x 1 sex x 2 age halves
    assert c_test[0] == c_train[0]  # age 5 falls in the lowest training bin
    assert c_test[1] == c_train[6]  # age 99 in the highest
    assert c_test[2] not in set(c_train)  # an unseen (race, sex) gets its own code


def test_age_bins_are_training_quantiles_and_cover_every_test_age():
    train = pd.DataFrame({"age": np.arange(20, 60)})
    test = pd.DataFrame({"age": [0, 29, 30, 45, 200]})
    b_train, b_test = age_bins(train, test, numeric_bins=4)
    assert np.bincount(b_train).tolist() == [10, 10, 10, 10]
    assert b_test.tolist() == [0, 0, 1, 2, 3]


def test_age_quartile_protocol_gives_the_penalty_categorical_age_bins(monkeypatch):
    """The diagnostic protocol trains on race, sex and the training age quartile (as strings)."""
    from fairlearn_online.dcov import DCovRegularizedClassifier

    seen = {}
    original_fit = DCovRegularizedClassifier.fit

    def recording_fit(self, X, y, *, sensitive_features=None, classes=None):
        seen["sensitive_features"] = sensitive_features
        return original_fit(self, X, y, sensitive_features=sensitive_features, classes=classes)

    monkeypatch.setattr(DCovRegularizedClassifier, "fit", recording_fit)
    monkeypatch.setitem(dcov_study.PROTOCOLS, AGE_QUARTILE_PROTOCOL,
                        dict(hidden_layer_sizes=(), n_epochs=1))
    point = {"kind": "penalty", "protocol": AGE_QUARTILE_PROTOCOL, "fairness_weight": 5.0,
             "seed": 0, "quick": False}
    row = dcov_study.run_point(point)["results"][0]
    assert 0 < row["accuracy"] < 1 and row["jsd"] >= 0
    S = seen["sensitive_features"]
    Xtr, ytr, Str, *_ = dcov_study._split(0)
    assert list(S.columns) == ["race", "sex", "age"]
    pd.testing.assert_series_equal(S["race"], Str["race"])
    assert sorted(S["age"].unique()) == [f"age bin {b}" for b in range(4)]
    # the youngest training row is in the first bin, the oldest in the last
    assert S["age"][Str["age"].idxmin()] == "age bin 0"
    assert S["age"][Str["age"].idxmax()] == "age bin 3"


def test_best_training_threshold_matches_brute_force():
    rng = np.random.default_rng(3)
    p = rng.uniform(size=400)
    y = (rng.uniform(size=400) < p ** 2).astype(int)
    t = _best_training_threshold(p, y)
    brute = max(np.mean((p > c) == y) for c in np.concatenate([[-1.0], p]))
    assert np.mean((p > t) == y) == pytest.approx(brute)


def test_quick_run_and_report(tmp_path):
    exp = get_experiment("dcov-compas-study")
    full = exp.grid(False, 5)
    assert sum(pt["kind"] == "reference" for pt in full) == 5
    rows = []
    for point in exp.grid(True, 1):
        for row in exp.run_point(point)["results"]:
            rows.append({**point, **row})
    results = pd.DataFrame(rows)
    summary = summarize(results)
    pen = summary[summary.method == "ccdcov penalty"].iloc[0]
    assert pen.jsd_cut > 1.5 and 0 < pen.accuracy_loss_points < 5
    exp.report({"results": results}, tmp_path, True)
    assert (tmp_path / "jsd_cut_vs_accuracy_loss.png").exists()
    assert (tmp_path / "jsd_cut_vs_accuracy_loss.svg").exists()
    assert "Cheapest setting" in (tmp_path / "summary.md").read_text()
    # both references, with the JSD's age quartiles and with 16 age bins
    assert set(results.method) == {
        "ccdcov penalty", "unpenalized", "quantile repair", "group thresholds + side alignment",
        "quantile repair, 16 age bins", "group thresholds + side alignment, 16 age bins"}


def test_the_references_are_the_library_functions():
    from fairlearn_online import dcov

    assert dcov_study.quantile_repair is dcov.quantile_repair
    assert dcov_study.group_thresholds_side_alignment is dcov.group_thresholds_side_alignment
    assert not hasattr(dcov_study, "_quantile_map")
