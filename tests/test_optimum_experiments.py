"""The aglfop-synthetic / aglfop-adult experiment helpers (fairlearn_online.experiments.optimum)."""

import numpy as np
import pytest

from fairlearn_online.experiments import get_experiment
from fairlearn_online.experiments.optimum import (
    _run_synthetic,
    assign_clients,
    canonical_distributions,
    synthetic_case,
)
from fairlearn_online.optimum import conditional_mutual_information, mutual_information


def test_registered():
    assert get_experiment("aglfop-synthetic").run_point is _run_synthetic
    assert get_experiment("aglfop-adult").default_seeds >= 1


def test_assign_clients_heterogeneity_knob():
    rng = np.random.default_rng(0)
    female = rng.random(20000) < 0.33
    same = assign_clients(female, 0.0, 5, rng=1)
    shares = [female[same == k].mean() for k in range(5)]
    assert np.ptp(shares) < 0.03  # identical splits: same female share everywhere
    split = assign_clients(female, 1.0, 5, rng=1)
    shares = [female[split == k].mean() for k in range(5)]
    np.testing.assert_allclose(shares, [1, 0, 1, 0, 1])  # single-sex clients
    mid = assign_clients(female, 0.5, 5, rng=1)
    assert 0.05 < np.ptp([female[mid == k].mean() for k in range(5)]) < 0.95
    with pytest.raises(ValueError, match="h must be"):
        assign_clients(female, 1.5)


def test_synthetic_cases_have_the_intended_structure():
    ind, single, masked = (synthetic_case(c) for c in ("independent", "single-group", "masked"))
    for p in (ind, single, masked):
        assert p.sum() == pytest.approx(1.0)
    # clients independent of Z: I(Z;S) = 0; single-group: strongly dependent
    assert mutual_information(ind.sum(axis=2)) == pytest.approx(0, abs=1e-12)
    assert mutual_information(single.sum(axis=2)) > 0.5
    # masked: the label carries no global information about Z but much given S
    assert mutual_information(masked.sum(axis=1)) == pytest.approx(0, abs=1e-12)
    assert conditional_mutual_information(masked.transpose(0, 2, 1)) > 0.4
    with pytest.raises(ValueError):
        synthetic_case("other")


def test_canonical_point():
    rows = _run_synthetic(dict(part="canonical"))["results"]
    assert len(rows) == len(canonical_distributions())
    by_name = {r["example"].split()[0]: r for r in rows}
    assert by_name["copy"]["redundant"] == pytest.approx(1, abs=1e-6)
    assert by_name["xor"]["synergistic"] == pytest.approx(1, abs=1e-6)
    assert by_name["unique"]["unique"] == pytest.approx(1, abs=1e-6)
    # AND gate: the known BROJA values (Red = 0.311 bits, Syn = 0.5 bits, Uni = 0)
    assert by_name["and"]["synergistic"] == pytest.approx(0.5, abs=1e-6)
    assert by_name["and"]["redundant"] == pytest.approx(0.311278, abs=1e-6)


def test_surface_point_quick():
    out = _run_synthetic(dict(part="surface", case="masked", quick=True))
    assert {"results", "surface", "pareto"} <= set(out)
    acc = {(r["eps_global"], r["eps_local"]): r["accuracy"] for r in out["results"]}
    # masked disparity: global fairness is free, local fairness is not
    assert acc[(0.0, np.inf)] == pytest.approx(1.0, abs=1e-6)
    assert acc[(np.inf, 0.0)] < 0.7


def test_quick_synthetic_run_writes_tables_and_figures(tmp_path):
    from fairlearn_online.experiments import run_experiment

    tables = run_experiment("aglfop-synthetic", quick=True, out=tmp_path, progress=False)
    assert {"results", "surface", "pareto"} <= set(tables)
    for name in ("results.csv", "surface.csv", "canonical_pid.png", "surfaces.svg",
                 "pareto.png", "optimum_pid.png"):
        assert (tmp_path / name).is_file(), name


@pytest.mark.slow
def test_quick_adult_run(tmp_path):
    from fairlearn_online.experiments import run_experiment

    tables = run_experiment("aglfop-adult", quick=True, out=tmp_path, progress=False)
    res = tables["results"]
    assert set(res["model"]) == {"global logistic", "local logistic (per client)",
                                 "perfect (Yhat = Y)"}
    np.testing.assert_allclose(res["global_disparity"], res["unique"] + res["redundant"],
                               atol=1e-9)
    # the AGLFOP optimum at a model's own disparities bounds its accuracy
    assert np.all(res["accuracy"] <= res["aglfop_bound"] + 1e-6)
    assert (tmp_path / "limits.png").is_file() and (tmp_path / "summary.csv").is_file()
