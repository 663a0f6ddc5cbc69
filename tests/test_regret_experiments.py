"""The regret experiments run end to end on short streams (the full runs are in docs/results)."""

import numpy as np
import pandas as pd

from fairlearn_online.experiments import regret as exp


def test_synthetic_point_rows_and_curves_are_consistent():
    out = exp.synthetic_point({"variant": "mean", "seed": 473, "n_samples": 3000})
    results, curves = pd.DataFrame(out["results"]), pd.DataFrame(out["curves"])
    assert set(results["method"]) == {"ours", "ours_expected", "baseline"}
    assert set(results["group"]) == {"always_on", "circle", "square", "triangle", "green", "red"}
    last = curves.sort_values("T_g").groupby(["method", "group"]).last()
    merged = results.set_index(["method", "group"]).join(last.add_suffix("_curve"))
    np.testing.assert_allclose(merged["regret"], merged["regret_curve"], rtol=1e-5, atol=1e-6)
    assert (merged["T_g"] == merged["T_g_curve"]).all()
    # the paper's ordering: the expected loss is never below the loss of the mean prediction
    wide = results.pivot(index="group", columns="method", values="learner_loss")
    assert (wide["ours_expected"] >= wide["ours"] - 1e-9).all()


def test_grids_use_the_paper_seeds_and_file_order():
    grid = exp.synthetic_grid(False, 10)
    assert len(grid) == 80 and {p["seed"] for p in grid} == set(exp.PAPER_SEEDS)
    assert {p["configuration"] for p in grid} == set(exp.CONFIGURATIONS) == {"paper", "library"}
    assert all(p["n_samples"] == 100_000 for p in grid)
    adult = exp.adult_grid(False, 10)
    assert [p["order"] for p in adult] == ["file", *exp.PAPER_SEEDS]
    assert exp._order(5, "file").tolist() == [0, 1, 2, 3, 4]
    # identical to the paper's pandas shuffle, DataFrame.sample(frac=1, random_state=seed)
    shuffled = pd.Series(np.arange(1000)).sample(frac=1, random_state=473).to_numpy()
    np.testing.assert_array_equal(exp._order(1000, 473), shuffled)


def test_adult_groups_follow_the_design():
    x, y, groups = exp.adult_data()
    assert x.shape[0] == y.shape[0] == len(groups) == 32561
    assert set(np.unique(y)) == {0.0, 1.0}
    assert (groups[["young", "middle", "old"]].sum(axis=1) == 1).all()
    assert (groups[["HighSchool&less", "College&more"]].sum(axis=1) == 1).all()
    assert (groups[["Male", "Female"]].sum(axis=1) == 1).all()
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_paper_configuration_markdown_has_no_empty_official_columns():
    row = dict(variant="mean", group="circle", T_g=10, baseline_mean=1.0, baseline_std=0.1,
               ours_mean=0.5, ours_std=0.05, hindsight_mean=2.0, ours_exact_comparator=0.49)
    quick = exp._paper_markdown(pd.DataFrame([row]))
    assert "–" not in quick and "official" not in quick
    assert "0.5000 ± 0.0500" in quick
    full = dict(row, paper_baseline_mean=1.01, paper_baseline_std=0.1, paper_ours_mean=0.5,
                paper_ours_std=0.05, paper_hindsight=2.0, max_abs_diff=0.01)
    text = exp._paper_markdown(pd.DataFrame([full]))
    assert "official" in text and "1.0100 ± 0.1000" in text and "0.0100" in text
