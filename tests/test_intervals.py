"""Confidence intervals and anytime-valid confidence sequences: references and coverage."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from fairlearn_online.metrics import (
    StreamingMetricFrame,
    binomial_coverage,
    clopper_pearson_interval,
    confidence_sequence,
    newcombe_interval,
    normal_mixture_radius,
    wilson_interval,
)


def _wilson_by_inversion(s, n, level):
    """The score test inverted numerically: {p : |s/n - p| <= z sqrt(p (1 - p) / n)}."""
    z = norm.ppf(0.5 + level / 2)
    phat = s / n
    f = lambda p: (phat - p) ** 2 - z * z * p * (1 - p) / n  # noqa: E731
    lo = 0.0 if s == 0 else brentq(f, 1e-15, min(phat, 1 - 1e-12))
    hi = 1.0 if s == n else brentq(f, max(phat, 1e-12), 1 - 1e-15)
    return lo, hi


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_wilson_equals_score_test_inversion(level):
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 500))
        s = int(rng.integers(0, n + 1))
        lo, hi = wilson_interval(s, n, level)
        np.testing.assert_allclose([lo, hi], _wilson_by_inversion(s, n, level), atol=1e-9)


def test_newcombe_matches_the_papers_examples():
    # Newcombe (1998), Table II, method 10
    for args, expected in [((56, 70, 48, 80), (0.0524, 0.3339)),
                           ((9, 10, 3, 10), (0.1705, 0.8090)),
                           ((10, 10, 0, 20), (0.6791, 1.0))]:
        np.testing.assert_allclose(newcombe_interval(*args), expected, atol=5e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="level"):
        wilson_interval(1, 2, level=1.5)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="tuned_n"):
        normal_mixture_radius(10, tuned_n=0)
    assert np.isnan(wilson_interval(0, 0)[0])


def _wilson_coverage(n, p, reps, rng, level=0.95):
    s = rng.binomial(n, p, reps)
    lo, hi = wilson_interval(s, np.full(reps, n), level)
    return np.mean((lo <= p) & (p <= hi))


def test_wilson_coverage_simulated():
    rng = np.random.default_rng(1)
    cover = {(n, p): _wilson_coverage(n, p, 20_000, rng)
             for n in (30, 100, 1000) for p in (0.1, 0.3, 0.5)}
    # averaged over the rates, within one point of nominal at every n >= 30
    for n in (30, 100, 1000):
        assert abs(np.mean([cover[n, p] for p in (0.1, 0.3, 0.5)]) - 0.95) <= 0.01, cover
    # and no single rate more than 2.5 points off (Wilson's known oscillation at small n)
    assert min(cover.values()) >= 0.925, cover


def test_newcombe_coverage_simulated():
    rng = np.random.default_rng(2)
    covers = []
    for (n1, p1), (n2, p2) in [((30, 0.3), (50, 0.5)), ((100, 0.2), (100, 0.25)),
                               ((400, 0.6), (200, 0.5))]:
        s1, s2 = rng.binomial(n1, p1, 20_000), rng.binomial(n2, p2, 20_000)
        lo, hi = newcombe_interval(s1, n1, s2, n2)
        covers.append(np.mean((lo <= p1 - p2) & (p1 - p2 <= hi)))
    assert abs(np.mean(covers) - 0.95) <= 0.01, covers


def simultaneous_coverage(n_streams, n_events, p, *, level=0.95, seed=0, block=50):
    """Fraction of Bernoulli(p) streams whose sequence contains p at every event."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n_events + 1)
    radius = normal_mixture_radius(t, level)
    covered = 0
    for start in range(0, n_streams, block):
        m = min(block, n_streams - start)
        sums = np.cumsum(rng.random((m, n_events)) < p, axis=1)
        covered += int(np.sum(np.all(np.abs(sums / t - p) <= radius, axis=1)))
    return covered / n_streams


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_confidence_sequence_simultaneous_coverage_quick(p):
    assert simultaneous_coverage(200, 10_000, p, seed=int(p * 10)) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("p", [0.05, 0.5])
def test_confidence_sequence_simultaneous_coverage_1000_streams_of_1e5(p):
    assert simultaneous_coverage(1000, 100_000, p, seed=7) >= 0.95


def test_confidence_sequence_agrees_with_its_radius():
    lo, hi = confidence_sequence([50, 500], [100, 1000])
    r = normal_mixture_radius([100, 1000])
    np.testing.assert_allclose(hi - lo, 2 * r, rtol=1e-12)
    # tighter than a union bound of fixed-time intervals over 10^5 looks would be at n = 10^5
    assert normal_mixture_radius(10**5) < norm.ppf(1 - 0.025 / 10**5) * 0.5 / np.sqrt(10**5)


def test_frame_intervals():
    rng = np.random.default_rng(3)
    n = 3000
    y, p = rng.integers(0, 2, n), (rng.random(n) < 0.4).astype(int)
    g = rng.choice(["a", "b"], n)
    frame = StreamingMetricFrame(["selection_rate", "true_positive_rate"])
    frame.update(y, p, sensitive_features=g)
    table = frame.interval("selection_rate")
    pd.testing.assert_series_equal(table["value"], frame.by_group["selection_rate"],
                                   check_names=False)
    assert (table["lower"] < table["value"]).all() and (table["value"] < table["upper"]).all()
    counts = pd.Series(g).value_counts().sort_index()
    np.testing.assert_allclose(table["n"], counts.to_numpy())
    diff = frame.difference_interval("selection_rate")
    assert diff["value"] == pytest.approx(frame.difference()["selection_rate"])
    sa, sb = (p[g == "a"].sum(), (g == "a").sum()), (p[g == "b"].sum(), (g == "b").sum())
    if sa[0] / sa[1] < sb[0] / sb[1]:
        sa, sb = sb, sa
    np.testing.assert_allclose([diff["lower"], diff["upper"]],
                               np.maximum(newcombe_interval(*sa, *sb), [0, -1]))
    seq = frame.difference_interval("true_positive_rate", kind="sequence")
    assert seq["lower"] <= seq["value"] <= seq["upper"]
    ratio = frame.ratio_interval("selection_rate", kind="sequence")
    assert ratio["lower"] <= ratio["value"] <= ratio["upper"] <= 1
    windowed = StreamingMetricFrame("selection_rate", window=100)
    windowed.update(y, p, sensitive_features=g)
    assert windowed.interval("selection_rate")["n"].sum() == 100
    with pytest.raises(ValueError, match="cumulative"):
        windowed.interval("selection_rate", kind="sequence")
    with pytest.raises(ValueError, match="binary rates"):
        StreamingMetricFrame("count").update(y, p, sensitive_features=g).interval("count")


def test_gap_sequence_covers_simultaneously():
    """Two groups with a true DP gap of 0.1: the gap sequence holds at every event."""
    rng = np.random.default_rng(4)
    n_events, n_streams = 5000, 200
    t = np.arange(1, n_events + 1)
    ok = 0
    for _ in range(n_streams):
        g = rng.random(n_events) < 0.5
        x = rng.random(n_events) < np.where(g, 0.55, 0.45)
        bounds = []
        for mask, rate in ((g, 0.55), (~g, 0.45)):
            n_g = np.cumsum(mask)
            s_g = np.cumsum(x & mask)
            lo, hi = confidence_sequence(s_g, n_g, 1 - 0.05 / 2)
            bounds.append((lo, hi))
        (la, ua), (lb, ub) = bounds
        gap_lo = np.maximum(0, np.maximum(la, lb) - np.minimum(ua, ub))
        gap_hi = np.maximum(ua, ub) - np.minimum(la, lb)
        ok += np.all((gap_lo <= 0.1 + 1e-12) & (0.1 <= gap_hi + 1e-12))
    assert ok / n_streams >= 0.95


def _slow_clopper_pearson(s, n, level=0.95):
    """The definition: the rates at which the one-sided binomial tests reject at alpha / 2."""
    from scipy.optimize import brentq
    from scipy.stats import binom

    alpha = 1 - level
    lo = 0.0 if s == 0 else brentq(lambda p: binom.sf(s - 1, n, p) - alpha / 2, 1e-12, 1 - 1e-12)
    hi = 1.0 if s == n else brentq(lambda p: binom.cdf(s, n, p) - alpha / 2, 1e-12, 1 - 1e-12)
    return lo, hi


def test_clopper_pearson_inverts_the_binomial_tests():
    rng = np.random.default_rng(5)
    for _ in range(40):
        n = int(rng.integers(1, 300))
        s = int(rng.integers(0, n + 1))
        level = float(rng.uniform(0.5, 0.999))
        lo, hi = clopper_pearson_interval(s, n, level)
        np.testing.assert_allclose([lo, hi], _slow_clopper_pearson(s, n, level), atol=1e-9)
    assert np.isnan(clopper_pearson_interval(0, 0)[0])
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson_interval(3, 2)


def test_binomial_coverage_equals_simulation():
    rng = np.random.default_rng(6)
    for n, p in [(30, 0.1), (100, 0.37), (57, 0.9)]:
        s = rng.binomial(n, p, 200_000)
        lo, hi = wilson_interval(s, np.full(len(s), n))
        simulated = np.mean((lo <= p) & (p <= hi))
        exact = binomial_coverage(wilson_interval, n, [p])[0]
        assert abs(simulated - exact) < 4 * np.sqrt(exact * (1 - exact) / len(s))
    with pytest.raises(ValueError, match="trials"):
        binomial_coverage(wilson_interval, 0, [0.5])
    with pytest.raises(ValueError, match="rates"):
        binomial_coverage(wilson_interval, 10, [1.5])


RATES = np.linspace(0.1, 0.9, 801)


@pytest.mark.parametrize("n", [30, 50, 100, 300, 1000])
def test_exact_fixed_time_coverage(n):
    """Exact (not simulated) coverage over a fine grid of rates, for groups of >= 30 rows.

    Wilson: on average over the rates within one point of nominal at every n, pointwise
    oscillating (the binomial is discrete; no non-randomized interval is within one point at
    every rate for n = 30). Clopper-Pearson: at least nominal at every rate.
    """
    wilson = binomial_coverage(wilson_interval, n, RATES)
    exact = binomial_coverage(clopper_pearson_interval, n, RATES)
    assert abs(wilson.mean() - 0.95) <= 0.01
    assert wilson.min() >= 0.92
    assert exact.min() >= 0.95 - 1e-12
    if n >= 300:
        assert np.all(np.abs(wilson - 0.95) <= 0.01)


def test_frame_exact_kind():
    frame = StreamingMetricFrame("selection_rate")
    rng = np.random.default_rng(3)
    g = rng.integers(0, 2, 500)
    frame.update(np.zeros(500), rng.integers(0, 2, 500), sensitive_features=g)
    table = frame.interval("selection_rate", kind="exact")
    counts = [(frame.by_group.loc[k] * (g == k).sum(), (g == k).sum()) for k in (0, 1)]
    for k, (s, n) in zip((0, 1), counts):
        np.testing.assert_allclose(table.loc[k, ["lower", "upper"]].to_numpy(float),
                                   _slow_clopper_pearson(round(float(np.squeeze(s))), n),
                                   atol=1e-9)
    d = frame.difference_interval("selection_rate", kind="exact")
    assert d["lower"] <= d["value"] <= d["upper"]
    with pytest.raises(ValueError, match="'exact'"):
        frame.interval("selection_rate", kind="bogus")


def test_normal_mixture_boundary_equals_confseq():
    """Against boundaries computed by the confseq package (tests/make_confseq_reference.py)."""
    import json
    from pathlib import Path

    from fairlearn_online.metrics._intervals import _best_rho, two_sided_normal_mixture_boundary

    ref = json.loads((Path(__file__).with_name("data") / "confseq_normal_mixture.json")
                     .read_text())
    v = np.array(ref["intrinsic_time"])
    for case in ref["cases"]:
        ours = two_sided_normal_mixture_boundary(v, case["rho"], case["alpha"])
        np.testing.assert_allclose(ours, case["bound"], rtol=1e-12)
        # the library's rho minimises the boundary at v_opt exactly: never above confseq's
        at_v_opt = case["bound"][list(v).index(case["v_opt"])]
        rho = _best_rho(4 * case["v_opt"], case["alpha"])
        ours_at_v_opt = two_sided_normal_mixture_boundary(case["v_opt"], rho, case["alpha"])
        assert ours_at_v_opt <= at_v_opt * (1 + 1e-9)
        assert ours_at_v_opt >= 0.99 * at_v_opt  # confseq's closed form is near the optimum
