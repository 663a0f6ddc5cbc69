import numpy as np

from fairlearn_online.experiments import frontier


def test_frontier_points_stay_below_the_any_classifier_limit():
    limits = frontier.limit_curves("compas", n_points=4)
    any_model = limits[limits["limit"].str.startswith("LP over (Z, Y)")]
    lp_cells = limits[limits["limit"].str.startswith("LP optimum over")]
    post = limits[limits["limit"].str.contains("cross-fitted")]
    assert len(post) == len(lp_cells) == 4
    assert np.all(np.diff(any_model.sort_values("eps")["accuracy"]) >= -1e-9)
    assert np.all(np.diff(lp_cells.sort_values("eps")["accuracy"]) >= -1e-9)
    # the cells' optimum sees less than the label: below the (Z, Y) bound; the out-of-sample
    # post-processing is attainable: below the in-sample optimum up to sampling noise
    assert lp_cells["accuracy"].max() <= any_model["accuracy"].max() + 1e-9
    assert (post["accuracy"].to_numpy() <= lp_cells["accuracy"].to_numpy() + 0.02).all()
    for method, weight in (("fair-logistic", 100.0), ("dcov-logistic", 30.0), ("majority", np.nan)):
        row = frontier.run_point(dict(dataset="compas", method=method, fairness_weight=weight,
                                      seed=0))["results"][0]
        bound = np.interp(row["demographic_parity_difference"], any_model["eps"],
                          any_model["accuracy"])
        assert row["accuracy"] <= bound + 1e-9
        assert 0.45 < row["accuracy"] < 0.75


def test_frontier_grid_covers_both_datasets_and_every_method():
    points = frontier.grid(quick=True, seeds=1)
    assert {p["dataset"] for p in points} == {"adult", "compas"}
    assert {p["method"] for p in points} >= {"aranyani", "fair-logistic", "dcov-logistic",
                                             "majority"}


def test_majority_class_is_annotated_only_when_it_falls_below_the_axis(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt
    import pandas as pd

    texts = []
    monkeypatch.setattr(frontier, "save_figure",
                        lambda fig, path: texts.append([t.get_text() for ax in fig.axes
                                                        for t in ax.texts]))
    limits = pd.DataFrame({"limit": ["post"] * 2, "eps": [0.0, 0.1],
                           "demographic_parity_difference": [0.0, 0.1],
                           "accuracy": [0.84, 0.86]})
    monkeypatch.setattr(frontier, "limit_curves", lambda dataset, n_points: limits)
    monkeypatch.setattr(frontier.aranyani, "write_limit_vs_best", lambda *a: None)
    rows = []
    for dataset, majority in (("adult", 0.78), ("compas", 0.51)):  # inside / below the models
        rows += [dict(dataset=dataset, method="aranyani", fairness_weight=w, seed=0,
                      accuracy=a, demographic_parity_difference=d, equalized_odds_difference=d)
                 for w, a, d in ((0.0, 0.83, 0.18), (10.0, 0.77, 0.02))]
        rows.append(dict(dataset=dataset, method="majority", fairness_weight=np.nan, seed=0,
                         accuracy=majority, demographic_parity_difference=0.0,
                         equalized_odds_difference=0.0))
    frontier.report({"results": pd.DataFrame(rows)}, tmp_path, True)
    plt.close("all")
    notes = [t for t in texts[0] if "majority" in t]
    assert notes == ["majority class below the axis: accuracy 0.510"]
