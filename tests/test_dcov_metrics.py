"""js_calibration and unfairness_ratio against independent references (scipy, dit, fairlearn)."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import gaussian_kde

from fairlearn_online.dcov import intersectional_subgroups, js_calibration, unfairness_ratio


def _kde_on_grid(values, grid):
    d = gaussian_kde(values, bw_method=0.15)(grid)
    return d / d.sum()


def _grid(y, groups, n_grid=1000):
    widths = [np.sqrt(gaussian_kde(y[groups == g], bw_method=0.15).covariance[0, 0])
              for g in np.unique(groups)]
    pad = 3 * max(widths)
    return np.linspace(y.min() - pad, y.max() + pad, n_grid)


def test_two_equal_groups_equal_scipy_jensenshannon():
    rng = np.random.default_rng(0)
    y = np.r_[rng.beta(2, 5, 500), rng.beta(3, 3, 500)]
    g = np.repeat(["a", "b"], 500)
    grid = _grid(y, g)
    p, q = _kde_on_grid(y[:500], grid), _kde_on_grid(y[500:], grid)
    ref = jensenshannon(p, q, base=2) ** 2
    assert js_calibration(y, g) == pytest.approx(ref, rel=1e-9)


def test_generalized_weights_equal_dit():
    dit = pytest.importorskip("dit")
    rng = np.random.default_rng(1)
    y = np.r_[rng.normal(0, 1, 300), rng.normal(0.5, 1, 150), rng.normal(1, 0.5, 50)]
    g = np.repeat(["a", "b", "c"], [300, 150, 50])
    grid = _grid(y, g, 120)  # dit is slow on many outcomes
    dens = [_kde_on_grid(y[g == k], grid) for k in "abc"]
    outcomes = [str(i) for i in range(len(grid))]
    dists = [dit.Distribution(outcomes, list(p)) for p in dens]
    for d in dists:
        d.make_dense()
    ref = dit.divergences.jensen_shannon_divergence(dists, [0.6, 0.3, 0.1])
    assert js_calibration(y, g, n_grid=120) == pytest.approx(ref, rel=1e-7)


def test_intersectional_groups_with_numeric_quantile_bins():
    rng = np.random.default_rng(2)
    n = 2000
    sf = pd.DataFrame({"race": rng.choice(["a", "b", "c"], n), "sex": rng.choice(["F", "M"], n),
                       "age": rng.integers(18, 80, n)})
    codes, labels = intersectional_subgroups(sf)
    assert codes.max() + 1 == len(labels) == 3 * 2 * 4
    y_fair = rng.uniform(size=n)
    y_age = np.clip(y_fair + 0.01 * (sf.age - 50), 0, 1)
    assert js_calibration(y_fair, sf) < js_calibration(y_age, sf)
    assert unfairness_ratio(y_fair, sf) < 0.02 < unfairness_ratio(y_age, sf)


def test_unfairness_ratio_matches_groupby_reference():
    rng = np.random.default_rng(3)
    y = rng.normal(size=500)
    g = rng.choice(["a", "b", "c"], 500)
    y = y + (g == "a")
    means = pd.Series(y).groupby(g).transform("mean")
    assert unfairness_ratio(y, g) == pytest.approx(np.var(means) / np.var(y), rel=1e-12)
    assert unfairness_ratio(np.ones(10), ["a", "b"] * 5) == 0.0
    assert 0 <= unfairness_ratio(y, g) <= 1


def test_identical_distributions_give_zero_and_bounds():
    y = np.tile(np.linspace(0, 1, 50), 2)
    g = np.repeat(["a", "b"], 50)
    assert js_calibration(y, g) == pytest.approx(0.0, abs=1e-12)
    separated = np.r_[np.linspace(0, 0.1, 50), np.linspace(0.9, 1.0, 50)]
    assert js_calibration(separated, g) == pytest.approx(1.0, abs=1e-3)  # log2(2)


def test_degenerate_groups_and_bad_input():
    y = np.r_[np.linspace(0, 1, 20), [0.5]]
    g = ["a"] * 20 + ["b"]  # group b has one value: no KDE, left out -> a single group -> 0
    assert js_calibration(y, g) == 0.0
    with pytest.raises(ValueError, match="rows but yhat"):
        js_calibration(np.ones(5), ["a"] * 4)
    with pytest.raises(ValueError, match="bandwidth"):
        js_calibration(y, g, bandwidth=0)
    with pytest.raises(ValueError, match="n_grid"):
        js_calibration(y, g, n_grid=1)
    with pytest.raises(ValueError, match="numeric_bins"):
        unfairness_ratio(y, g, numeric_bins=0)
    with pytest.raises(ValueError, match="NaN"):
        unfairness_ratio(np.r_[y[:-1], np.nan], g)
    with pytest.raises(ValueError, match="empty"):
        unfairness_ratio([], [])


def test_min_group_size_leaves_small_groups_out():
    rng = np.random.default_rng(4)
    y = rng.uniform(size=430)
    g = np.repeat(["a", "b", "c"], [200, 200, 30])
    y[g == "c"] += 2.0  # a small, very different group
    assert js_calibration(y, g, min_group_size=50) == pytest.approx(
        js_calibration(y[g != "c"], g[g != "c"]), rel=1e-12)
    assert js_calibration(y, g) > 0.2
    with pytest.raises(ValueError, match="min_group_size"):
        js_calibration(y, g, min_group_size=1)
