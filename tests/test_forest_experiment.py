"""The adult-frontier / compas-frontier experiment definitions (grids, one point, the report)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairlearn_online.experiments import get_experiment
from fairlearn_online.experiments.aranyani import (
    ADULT_LAMBDAS, COMPAS_LAMBDAS, make_estimator, run_point, summarize)


def test_grids_follow_the_paper():
    assert ADULT_LAMBDAS == [0, 0.1, 0.3, 0.5, 1, 5, 10, 100]
    assert COMPAS_LAMBDAS == [0, .01, .02, .03, .04, .05, .06, .07, .08, .09, .1, .3, .5, 1, 5,
                              10, 100]
    full = get_experiment("adult-frontier").grid(False, 5)
    lams = {p["fairness_weight"] for p in full if p["method"] == "aranyani"}
    assert set(ADULT_LAMBDAS) <= lams
    assert {p["seed"] for p in full} == set(range(5))
    quick = get_experiment("adult-frontier").grid(True, 2)
    assert len(quick) < len(full) / 5
    compas = get_experiment("compas-frontier").grid(False, 1)
    assert {p["fairness_weight"] for p in compas if p["method"] == "aranyani"} == set(
        COMPAS_LAMBDAS)


@pytest.mark.parametrize("method", ["aranyani", "aranyani-output", "fair-logistic", "majority"])
def test_run_point_on_compas(method):
    point = dict(dataset="compas", method=method, fairness_weight=1.0, seed=0)
    tables = run_point(point)
    (row,) = tables["results"]
    assert 0.45 < row["accuracy"] < 0.75 and 0 <= row["demographic_parity_difference"] <= 1
    assert row["n_samples"] == 6172
    if method == "aranyani":
        assert {"node_gap_aggregate", "node_gap_final_model", "dp_final_model"} <= set(row)
    curves = pd.DataFrame(tables["curves"])
    assert curves["n_samples"].iloc[-1] == 6172 and curves["n_samples"].is_monotonic_increasing


def test_make_estimator_unknown_method():
    with pytest.raises(ValueError, match="unknown method"):
        make_estimator("svm", 0.0, 0)


def test_summary_and_report(tmp_path):
    rng = np.random.default_rng(0)
    rows, curves = [], []
    for method, lams in (("aranyani", [0.0, 1.0, 10.0]), ("fair-logistic", [0.0, 1.0]),
                         ("majority", [np.nan])):
        for lam in lams:
            for seed in range(2):
                row = dict(method=method, fairness_weight=lam, seed=seed,
                           accuracy=rng.uniform(.7, .8),
                           demographic_parity_difference=rng.uniform(0, .2),
                           equalized_odds_difference=rng.uniform(0, .2))
                if method == "aranyani":
                    row.update(node_gap_aggregate=.01, node_gap_final_model=.05,
                               soft_dp_final_model=.1, dp_final_model=.1)
                rows.append(row)
                curves += [dict(method=method, fairness_weight=lam, seed=seed, n_samples=n,
                                accuracy=.7, demographic_parity_difference=.1)
                           for n in (100, 200)]
    results = pd.DataFrame(rows)
    summary = summarize(results)
    assert len(summary) == 6 and summary["n_seeds"].eq(2).all()
    assert summary.loc[summary.method == "majority", "fairness_weight"].isna().all()
    get_experiment("compas-frontier").report(
        {"results": results, "curves": pd.DataFrame(curves)}, tmp_path, True)
    for name in ("frontier", "dp_over_stream", "node_vs_prediction_parity"):
        assert (tmp_path / f"{name}.png").is_file() and (tmp_path / f"{name}.svg").is_file()
    assert (tmp_path / "summary.csv").is_file() and (tmp_path / "summary.md").is_file()


def test_paper_protocol_follows_the_authors_loop():
    from fairlearn_online.datasets import load_stream
    from fairlearn_online.experiments import aranyani

    exp = get_experiment("adult-frontier")
    assert exp.protocols == ("shuffled", "paper")
    paper = exp.grid(False, 2, "paper")
    assert {p["protocol"] for p in paper} == {"paper"}
    assert {p["fairness_weight"] for p in paper if p["method"] == "aranyani"} == set(
        ADULT_LAMBDAS)
    compas = get_experiment("compas-frontier").grid(False, 1, "paper")
    assert {p["fairness_weight"] for p in compas if p["method"] == "aranyani"} == set(
        aranyani.PAPER_COMPAS_LAMBDAS)
    est = aranyani.make_estimator("aranyani", 0.0, 0, "paper")
    assert est.wait_for_groups == "always" and est.fairness_gradient == "sign_outside_band"
    # file order, the authors' ten COMPAS columns, standardized, binary groups
    X, y, g = aranyani.paper_stream("compas")
    assert X.shape[1] == len(aranyani.PAPER_COMPAS_COLUMNS) == 10
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-9)
    assert set(g) == {"White", "non-White"}
    Xa, ya, ga = aranyani.paper_stream("adult")
    Xs, ys, gs = load_stream("adult")
    np.testing.assert_array_equal(Xa, Xs)
    with pytest.raises(ValueError, match="protocol"):
        from fairlearn_online.experiments import run_experiment

        run_experiment("adult-frontier", quick=True, protocol="online")


@pytest.mark.parametrize("dataset", ["adult", "compas"])
def test_full_frontier_grids_hold_faht_protecting_the_disadvantaged_group(dataset):
    from fairlearn_online.datasets import load_stream
    from fairlearn_online.experiments import aranyani, frontier

    for points in (aranyani._grid(dataset, quick=False, seeds=1),
                   aranyani._grid(dataset, quick=False, seeds=1, protocol="paper"),
                   frontier.grid(quick=False, seeds=1)):
        assert {"faht"} <= {p["method"] for p in points if p["dataset"] == dataset}
    est = make_estimator("faht", 0.0, 0, dataset=dataset)
    _, y, groups = load_stream(dataset, random_state=0)
    favourable = y if dataset == "adult" else 1 - y  # COMPAS's label 1 is recidivism
    rates = {g: favourable[groups == g].mean() for g in np.unique(groups)}
    assert est.protected_group == min(rates, key=rates.get)


def test_limit_vs_best_reads_each_reference_and_the_best_model_within_each_level():
    from fairlearn_online.experiments.aranyani import limit_vs_best, limit_vs_best_markdown

    summary = pd.DataFrame({
        "method": ["aranyani", "aranyani", "fair-logistic", "majority"],
        "fairness_weight": [0.0, 10.0, 1.0, np.nan],
        "accuracy_mean": [0.83, 0.80, 0.81, 0.76], "accuracy_std": [0.01, 0.02, 0.01, 0.0],
        "demographic_parity_difference_mean": [0.18, 0.04, 0.09, 0.0]})
    limits = pd.DataFrame({
        "limit": ["post"] * 3 + ["lp"] * 3,
        "demographic_parity_difference": [0.0, 0.05, 0.1, 0.0, 0.05, 0.1],
        "accuracy": [0.80, 0.84, 0.85, 0.82, 0.86, 0.87]})
    table = limit_vs_best(summary, limits, levels=(0.02, 0.05, 0.10))
    assert table["accuracy: post"].tolist() == [0.80, 0.84, 0.85]
    assert table["accuracy: lp"].tolist() == [0.82, 0.86, 0.87]
    assert table["best_method"].isna().tolist() == [True, False, False]
    assert table["best_method"].iloc[1:].tolist() == ["aranyani", "fair-logistic"]  # not majority
    assert table["best_accuracy"].iloc[1:].tolist() == [0.80, 0.81]
    np.testing.assert_allclose(table["gap_to_reference"].iloc[1:], [0.04, 0.04])
    text = limit_vs_best_markdown(table)
    assert "aranyani, λ = 10" in text and "+0.040" in text and "none" in text


def test_summary_markdown_gives_one_format_per_column_and_blanks_missing_quantities():
    from fairlearn_online.experiments.aranyani import summary_markdown

    summary = pd.DataFrame({
        "method": ["aranyani", "majority"], "fairness_weight": [10.0, np.nan],
        "accuracy_mean": [0.8234, 0.759], "accuracy_std": [0.0031, 0.0],
        "demographic_parity_difference_mean": [0.0349, 0.0],
        "demographic_parity_difference_std": [0.012, 0.0],
        "node_gap_aggregate_mean": [0.00231, np.nan], "node_gap_aggregate_std": [0.0003, np.nan]})
    lines = summary_markdown(summary).splitlines()
    assert lines[0] == "| method | lambda | accuracy | DP difference | node gap, aggregate F |"
    assert lines[2] == "| aranyani | 10 | 0.823 ± 0.003 | 0.035 ± 0.012 | 0.0023 ± 0.0003 |"
    assert lines[3] == "| majority |  | 0.759 ± 0.000 | 0.000 ± 0.000 |  |"


@pytest.mark.parametrize("folder", ["adult-frontier", "compas-frontier", "adult-frontier-paper",
                                    "compas-frontier-paper", "adult-baselines"])
def test_committed_summary_tables_are_the_ones_their_csv_gives(folder):
    from fairlearn_online.experiments.aranyani import summary_markdown

    results = Path(__file__).resolve().parents[1] / "docs" / "results" / folder
    expected = summary_markdown(pd.read_csv(results / "summary.csv"))
    assert (results / "summary.md").read_text() == expected
