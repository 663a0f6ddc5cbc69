"""The bias model, the quality ratio and the rankings-needed tool (docs/user_guide/selection.md)."""

import numpy as np
import pytest

from fairlearn_online.selection import (MultiwinnerSelector, make_biased_rankings, quality_ratio,
                                        rankings_needed)

U = np.array([0.95, 0.9, 0.85, 0.8, 0.6, 0.5, 0.4, 0.3])
G = np.array([0, 1, 0, 1, 0, 1, 0, 1])


def _is_permutation_rows(R):
    return all(sorted(r) == list(range(R.shape[1])) for r in R.tolist())


@pytest.mark.parametrize("noise", ["mallows", "gaussian"])
def test_shapes_reproducibility_and_validity(noise):
    R = make_biased_rankings(50, U, G, bias=0.5, noise=noise, random_state=3)
    assert R.shape == (50, 8) and R.dtype == np.int64 and _is_permutation_rows(R)
    np.testing.assert_array_equal(
        R, make_biased_rankings(50, U, G, bias=0.5, noise=noise, random_state=3))
    assert make_biased_rankings(0, U, G, noise=noise).shape == (0, 8)
    gen = np.random.default_rng(0)
    a = make_biased_rankings(5, U, G, noise=noise, random_state=gen)
    b = make_biased_rankings(5, U, G, noise=noise, random_state=gen)  # the generator advances
    assert not np.array_equal(a, b)


def test_noise_free_rankings_are_the_biased_order():
    center = make_biased_rankings(3, U, G, bias=0.5, dispersion=0.0)
    # biased utilities: group 1 halved -> 0.95, 0.85, 0.6, 0.45, 0.4, 0.4, 0.25, 0.15
    assert center[0].tolist() == [0, 2, 4, 1, 3, 6, 5, 7]
    assert (center == center[0]).all()
    gauss = make_biased_rankings(2, U, G, bias=1.0, noise="gaussian", dispersion=0.0)
    assert gauss[0].tolist() == list(range(8))
    # several disadvantaged labels
    both = make_biased_rankings(1, U, ["a", "b", "c", "a", "b", "c", "a", "b"],
                                disadvantaged=["b", "c"], bias=0.1, dispersion=0.0)
    assert both[0, :3].tolist() == [0, 3, 6]


def test_bias_pushes_the_disadvantaged_group_down():
    rng = np.random.default_rng(0)
    u = rng.random(30)
    g = np.arange(30) % 2
    for noise in ("mallows", "gaussian"):
        fair = make_biased_rankings(2000, u, g, bias=1.0, noise=noise, random_state=1)
        biased = make_biased_rankings(2000, u, g, bias=0.5, noise=noise, random_state=1)
        pos_fair = np.argsort(fair, axis=1)[:, g == 1].mean()
        pos_biased = np.argsort(biased, axis=1)[:, g == 1].mean()
        assert pos_biased > pos_fair + 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(bias=0.0), "bias"),
    (dict(bias=1.5), "bias"),
    (dict(noise="plackett"), "noise"),
    (dict(dispersion=1.2), "dispersion"),
    (dict(noise="gaussian", dispersion=-1.0), "dispersion"),
    (dict(disadvantaged="z"), "not among the item groups"),
])
def test_generator_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_biased_rankings(3, U, G, **kwargs)


def test_generator_input_errors():
    with pytest.raises(ValueError, match=">= 0"):
        make_biased_rankings(3, -U, G)
    with pytest.raises(ValueError, match="NaN"):
        make_biased_rankings(3, np.r_[U[:-1], np.nan], G)
    with pytest.raises(ValueError, match="item_groups has 3 rows"):
        make_biased_rankings(3, U, [0, 1, 0])
    with pytest.raises(ValueError, match="n_rankings"):
        make_biased_rankings(-1, U, G)


def test_quality_ratio():
    R = make_biased_rankings(200, U, G, bias=1.0, random_state=0)
    best = MultiwinnerSelector(k=3, rule="harmonic").fit(R).select()
    assert quality_ratio(best, R, "harmonic") == pytest.approx(1.0)
    worst = np.array([5, 6, 7])
    assert 0 < quality_ratio(worst, R, "harmonic") < 1
    sel = MultiwinnerSelector(k=3, rule="harmonic").fit(R)
    opt = sel.score(best)
    assert quality_ratio(worst, R, "harmonic", optimum=opt) == pytest.approx(sel.score(worst) / opt)


def test_rankings_needed_constraints_help_under_bias():
    """Strong bias, proportional constraints: the constrained k-Borda selection recovers the
    unbiased optimum with few rankings, the unconstrained one does not."""
    rng = np.random.default_rng(0)
    u = rng.random(20)
    g = np.arange(20) % 2
    res = rankings_needed("k_borda", 6, u, g, bias=0.4, target=0.97, dispersion=0.5,
                          n_grid=[1, 4, 16, 64], n_trials=3, n_eval=300, random_state=1)
    summary = res["summary"].set_index(["constrained", "n_rankings"])["mean"]
    assert summary[(True, 64)] > summary[(False, 64)]
    assert res["n_needed"]["constrained"] is not None
    assert res["n_needed"]["unconstrained"] is None
    curve = res["curve"]
    assert set(curve.columns) == {"n_rankings", "constrained", "trial", "ratio"}
    assert len(curve) == 2 * 3 * 4
    assert (curve["ratio"] <= 1 + 1e-9).all()


def test_rankings_needed_validation():
    with pytest.raises(ValueError, match="n_grid"):
        rankings_needed("k_borda", 2, U, G, bias=0.5, n_grid=[4, 2])
    with pytest.raises(ValueError, match="target"):
        rankings_needed("k_borda", 2, U, G, bias=0.5, target=1.5)
    with pytest.raises(ValueError, match="n_trials"):
        rankings_needed("k_borda", 2, U, G, bias=0.5, n_trials=0)


def test_experiment_point_and_report(tmp_path):
    """One quick point of ``selection-bias`` (k-Borda) and its report run end to end."""
    import pandas as pd

    from fairlearn_online.experiments.selection import report, run_point

    tables = run_point(dict(rule="k_borda", noise="mallows", seed=0, quick=True))
    curves = pd.DataFrame(tables["curves"])
    assert set(curves["constraints"]) == {"none", "proportional", "optimum_counts"}
    assert curves["ratio"].between(0, 1 + 1e-9).all()
    assert tables["gaps"] == []  # gaps are recorded for the non-separable rules only
    frames = {name: pd.DataFrame(rows).assign(rule="k_borda", noise="mallows", seed=0)
              for name, rows in tables.items()}
    report(frames, tmp_path, True)
    needed = pd.read_csv(tmp_path / "rankings_needed.csv")
    assert set(needed["target"]) == {0.9, 0.95, 0.99}
    assert (tmp_path / "quality_vs_rankings_mallows.png").exists()


def _fake_tables(thetas, seeds=2):
    import numpy as np
    import pandas as pd

    from fairlearn_online.experiments.selection import RULES

    curves, gaps = [], []
    for rule in RULES:
        for theta in thetas:
            for c in ("none", "proportional", "optimum_counts"):
                for seed in range(seeds):
                    for n in (1, 2, 4, 8):
                        curves.append(dict(rule=rule, noise="mallows", seed=seed, theta=theta,
                                           constraints=c, n_rankings=n,
                                           ratio=min(1.0, 0.5 + 0.1 * np.log2(n) * theta)))
        if rule in ("chamberlin_courant", "harmonic"):
            gaps += [dict(rule=rule, gap=g, milp_seconds=0.1, milp_optimal=True,
                          certified_gap_bound=0.01, milp_variables=10) for g in (0.0, 0.0, 0.002)]
    return {"curves": pd.DataFrame(curves), "gaps": pd.DataFrame(gaps)}


@pytest.mark.parametrize("thetas", [(0.5,), (0.25, 0.5, 1.0)])
def test_report_figures_are_laid_out_for_print(tmp_path, monkeypatch, thetas):
    """Printed rule names as titles, the legend outside every data panel, no strip figure,
    more than one theta on the x axis of ``rankings_needed``, a gap axis starting at 0."""
    import fairlearn_online.experiments.selection as selection
    from fairlearn_online.utils import save_figure

    figures = {}

    def keep(fig, path):
        figures[path.name] = fig
        fig.canvas.draw()
        texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        figures[path.name + ":texts"] = texts
        figures[path.name + ":size"] = tuple(fig.get_size_inches())
        figures[path.name + ":legend_overlaps"] = [
            ax for ax in fig.axes if ax.has_data() and any(
                leg.get_window_extent().overlaps(ax.get_window_extent())
                for leg in fig.legends + [a.get_legend() for a in fig.axes if a.get_legend()])]
        figures[path.name + ":xlim"] = [ax.get_xlim() for ax in fig.axes]
        return save_figure(fig, path)

    monkeypatch.setattr(selection, "save_figure", keep)
    selection.report(_fake_tables(thetas), tmp_path, True)
    quality = "quality_vs_rankings_mallows"
    texts = " ".join(figures[quality + ":texts"])
    for name in ("SNTV", "Bloc", "k-Borda", "Chamberlin-Courant", "harmonic (PAV)"):
        assert name in texts
    assert "k_borda" not in texts and "chamberlin_courant" not in texts
    width, height = figures[quality + ":size"]
    assert width / height < 3  # not a strip
    assert not figures[quality + ":legend_overlaps"]
    assert not figures["rankings_needed_mallows:legend_overlaps"]
    assert figures["greedy_gap:xlim"][0][0] == 0.0
