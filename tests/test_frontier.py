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
