"""``selection-bias``: quality of multiwinner selections from biased rankings.

See ``docs/user_guide/selection.md`` ("Reproduced results").

Reproduces the question of Boehmer, Celis, Huang, Mehrotra and Vishnoi, "Subset Selection Based
On Multiple Rankings in the Presence of Bias: Effectiveness of Fairness Constraints for
Multiwinner Voting Score Functions" (ICML 2023): with a disadvantaged item group under-valued by a
factor theta in every ranking, how many rankings does each multiwinner score function need before
the selection - with proportional group constraints, and without - reaches a given fraction of
the optimum with respect to unbiased rankings?

Setup (per seed): m items, half of them in the disadvantaged group (alternating labels), latent
utilities ``u_i ~ Uniform(0, 1)``; biased rankings from :func:`make_biased_rankings` (Mallows
around the biased order, or utility plus Gaussian noise); the reference is ``n_eval`` unbiased
rankings from the same noise model, on which the optimum is computed (``solver="auto"``: exact
for separable rules, the MILP for Chamberlin-Courant, greedy + swaps for the harmonic rule whose
MILP is too large there). The biased rankings are streamed into three selectors and a committee
is selected after every number of rankings of a doubling grid. The three constraint settings:
``none``; ``proportional`` (``floor``/``ceil`` of ``k |G_g| / m``, here k/2 per group); and
``optimum_counts``: exactly as many items of each group as the unbiased optimum of that rule has
(an oracle that isolates how many rankings the within-group comparisons need: with it the
constrained optimum is the unbiased optimum). Curves use the exact solver for separable rules and
greedy + swap local search for the others; on the Mallows instances at 16 and 64 rankings
(``gap_n``) the MILP is also solved and the greedy gap recorded (table ``gaps``).
"""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plotting import method_label, method_style, spread_label
from ..selection import MultiwinnerSelector, make_biased_rankings
from ..utils import save_figure
from ._runner import Experiment, register
from ._tables import markdown_table

RULES = ("sntv", "bloc", "k_borda", "chamberlin_courant", "harmonic")
SEPARABLE = ("sntv", "bloc", "k_borda")
TARGETS = (0.9, 0.95, 0.99)
COLORS = {"none": "tab:red", "proportional": "tab:blue", "optimum_counts": "tab:green"}
LABELS = {"none": "unconstrained", "proportional": "proportional constraints",
          "optimum_counts": "optimum's group counts (oracle)"}

FULL = dict(m=40, k=8, thetas=(0.25, 0.5, 0.75, 1.0), noises=("mallows", "gaussian"),
            n_max=4096, n_eval=500, gap_n=(16, 64), dispersion={"mallows": 0.8, "gaussian": 0.25})
QUICK = dict(m=20, k=4, thetas=(0.25, 0.5, 1.0), noises=("mallows",), n_max=256, n_eval=200,
             gap_n=(16,), dispersion={"mallows": 0.8, "gaussian": 0.25})


def _config(quick):
    return QUICK if quick else FULL


def grid(quick, seeds):
    cfg = _config(quick)
    return [dict(rule=r, noise=nz, seed=s, quick=quick)
            for nz in cfg["noises"] for r in RULES for s in range(seeds)]


def run_point(point):
    cfg = _config(point["quick"])
    rule, noise, seed = point["rule"], point["noise"], point["seed"]
    m, k = cfg["m"], cfg["k"]
    rng = np.random.default_rng([seed, 7])
    utilities = rng.random(m)
    groups = np.arange(m) % 2  # group 1 is the disadvantaged one
    model = dict(noise=noise, dispersion=cfg["dispersion"][noise], disadvantaged=1)
    reference = make_biased_rankings(cfg["n_eval"], utilities, groups, bias=1.0,
                                     random_state=rng, **model)
    judge = MultiwinnerSelector(k=k, rule=rule).fit(reference)
    best, info = judge.select(return_info=True)
    optimum = judge.score(best)
    n_grid = 2 ** np.arange(int(np.log2(cfg["n_max"])) + 1)
    solver = "exact" if rule in SEPARABLE else "greedy"
    curves, gaps, results = [], [], []
    best_counts = np.bincount(groups[best], minlength=2)
    settings = {"none": None, "proportional": "proportional",
                "optimum_counts": {g: (int(c), int(c)) for g, c in enumerate(best_counts)}}
    for theta in cfg["thetas"]:
        biased = make_biased_rankings(int(n_grid[-1]), utilities, groups, bias=theta,
                                      random_state=rng, **model)
        for constrained, cons in settings.items():
            sel = MultiwinnerSelector(k=k, rule=rule, constraints=cons, solver=solver)
            start = 0
            ratios = []
            for n in n_grid:
                sel.partial_fit(biased[start:n], item_groups=groups)
                start = n
                committee = sel.select()
                ratio = judge.score(committee) / optimum
                ratios.append(ratio)
                curves.append(dict(theta=theta, constraints=constrained, n_rankings=int(n),
                                   ratio=ratio, n_disadvantaged=int(groups[committee].sum())))
                if rule not in SEPARABLE and noise == "mallows" and n in cfg["gap_n"]:
                    gaps.append(_gap_row(sel, theta, constrained, int(n)))
            ratios = np.array(ratios)
            row = dict(theta=theta, constraints=constrained, optimum_solver=info["solver"],
                       optimum_disadvantaged=int(best_counts[1]),
                       ratio_at_max_n=float(ratios[-1]))
            for t in TARGETS:  # smallest grid size reaching the target in this run
                hit = np.flatnonzero(ratios >= t)
                row[f"n_needed_{t}"] = int(n_grid[hit[0]]) if hit.size else np.nan
            results.append(row)
    return {"results": results, "curves": curves, "gaps": gaps}


def _gap_row(selector, theta, constrained, n):
    start = time.perf_counter()
    g_committee, g_info = selector.select(return_info=True)
    greedy_s = time.perf_counter() - start
    exact = selector.set_params(solver="milp")
    start = time.perf_counter()
    e_committee, e_info = exact.select(return_info=True)
    milp_s = time.perf_counter() - start
    selector.set_params(solver="greedy")
    return dict(theta=theta, constraints=constrained, n_rankings=n,
                greedy_value=g_info["value"], greedy_before_swaps=g_info["greedy_value"],
                milp_value=e_info["value"], milp_optimal=bool(e_info["optimal"]),
                gap=(e_info["value"] - g_info["value"]) / abs(e_info["value"]),
                certified_gap_bound=g_info.get("gap_bound", np.nan),
                greedy_seconds=greedy_s, milp_seconds=milp_s,
                milp_variables=e_info["n_variables"])


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _needed_from_mean(curves, target):
    """Smallest grid size whose mean ratio over seeds reaches ``target`` (NaN if never)."""
    mean = curves.groupby(["noise", "rule", "theta", "constraints", "n_rankings"])["ratio"].mean()
    rows = []
    for key, part in mean.groupby(level=[0, 1, 2, 3]):
        ok = part[part >= target]
        rows.append(dict(zip(["noise", "rule", "theta", "constraints"], key), target=target,
                         n_needed=int(ok.index.get_level_values("n_rankings").min())
                         if len(ok) else np.nan))
    return pd.DataFrame(rows)


def report(tables, out_dir, quick):
    curves = tables["curves"]
    needed = pd.concat([_needed_from_mean(curves, t) for t in TARGETS], ignore_index=True)
    needed.to_csv(out_dir / "rankings_needed.csv", index=False)
    _write_tables_md(curves, needed, out_dir)
    for noise, part in curves.groupby("noise"):
        _plot_curves(part, noise, out_dir)
        _plot_needed(needed[(needed["noise"] == noise) & (needed["target"] == 0.95)], noise,
                     out_dir, n_max=int(part["n_rankings"].max()))
    gaps = tables.get("gaps")
    if gaps is not None and len(gaps):
        _plot_gaps(gaps, out_dir)
        summary = gaps.groupby("rule")["gap"].describe(percentiles=[0.5, 0.9, 0.99])
        summary["milp_seconds_max"] = gaps.groupby("rule")["milp_seconds"].max()
        summary["all_milp_optimal"] = gaps.groupby("rule")["milp_optimal"].all()
        summary.reset_index().to_csv(out_dir / "gaps_summary.csv", index=False)
        bound = gaps.groupby("rule")["certified_gap_bound"]
        table = pd.DataFrame({
            "instances": gaps.groupby("rule").size(),
            "zero gap": gaps.groupby("rule")["gap"].apply(lambda g: int((g <= 1e-12).sum())),
            "median gap (%)": 100 * gaps.groupby("rule")["gap"].median(),
            "90% quantile (%)": 100 * gaps.groupby("rule")["gap"].quantile(0.9),
            "max gap (%)": 100 * gaps.groupby("rule")["gap"].max(),
            "median certified bound (%)": 100 * bound.median(),
            "max certified bound (%)": 100 * bound.max(),
            "MILP optimal": gaps.groupby("rule")["milp_optimal"].all().map(str),
            "max MILP seconds": gaps.groupby("rule")["milp_seconds"].max(),
            "max MILP variables": gaps.groupby("rule")["milp_variables"].max(),
        })
        (out_dir / "gaps_summary.md").write_text(_markdown(table))


def _markdown(frame):
    """A Markdown table (first column = index), one number format per column."""
    frame = frame.reset_index()
    return markdown_table(frame.columns, frame.itertuples(index=False), missing="not reached")


def _write_tables_md(curves, needed, out_dir):
    """``tables.md``: rankings needed (mean ratio >= 0.95) and mean ratio at the largest n."""
    parts = []
    n_max = int(curves["n_rankings"].max())
    for noise in sorted(curves["noise"].unique()):
        part = needed[(needed["noise"] == noise) & (needed["target"] == 0.95)]
        table = part.pivot_table(index=["rule", "constraints"], columns="theta",
                                 values="n_needed", aggfunc="first", dropna=False)
        table.columns = [f"theta={t:g}" for t in table.columns]
        parts.append(f"**{noise} noise: rankings needed for a mean quality ratio >= 0.95** "
                     f"(grid 1, 2, 4, ..., {n_max}; mean over seeds)\n\n" + _markdown(table))
        end = curves[(curves["noise"] == noise) & (curves["n_rankings"] == n_max)]
        table = end.pivot_table(index=["rule", "constraints"], columns="theta", values="ratio",
                                aggfunc="mean")
        table.columns = [f"theta={t:g}" for t in table.columns]
        parts.append(f"**{noise} noise: mean quality ratio after {n_max} rankings**\n\n"
                     + _markdown(table))
    (out_dir / "tables.md").write_text("\n".join(parts))


def _noise_label(noise):
    return {"mallows": "Mallows", "gaussian": "Gaussian"}.get(noise, noise)


def _plot_curves(curves, noise, out_dir):
    """One panel per (theta, rule); one legend for the figure, under the panels.

    With a single theta the five rules wrap onto two rows of three (the sixth cell holds the
    legend) instead of a strip five panels wide.
    """
    thetas = sorted(curves["theta"].unique())
    stats = curves.groupby(["rule", "theta", "constraints", "n_rankings"])["ratio"].agg(
        ["mean", "std"]).reset_index()
    n_seeds = int(curves["seed"].nunique()) if "seed" in curves else 1
    if len(thetas) == 1:
        fig, grid = plt.subplots(2, 3, figsize=(10.5, 6.2), sharey=True, squeeze=False)
        cells = [(0, rule, ax) for rule, ax in zip(RULES, grid.flat)]
        spare = grid.flat[len(RULES)]
    else:
        fig, grid = plt.subplots(len(thetas), len(RULES),
                                 figsize=(3.1 * len(RULES), 2.5 * len(thetas) + 0.6),
                                 sharex=True, sharey=True, squeeze=False)
        cells = [(r, rule, grid[r, c]) for r in range(len(thetas)) for c, rule in enumerate(RULES)]
        spare = None
    for r, rule, ax in cells:
        theta = thetas[r]
        for constrained, color in COLORS.items():
            s = stats[(stats["rule"] == rule) & (stats["theta"] == theta)
                      & (stats["constraints"] == constrained)]
            if s.empty:
                continue
            ax.plot(s["n_rankings"], s["mean"], color=color, label=LABELS[constrained])
            ax.fill_between(s["n_rankings"], s["mean"] - s["std"].fillna(0),
                            np.minimum(s["mean"] + s["std"].fillna(0), 1.0), color=color,
                            alpha=0.2)
        ax.set_xscale("log", base=2)
        ax.axhline(1.0, color="grey", lw=0.5)
        ax.grid(alpha=0.3)
        if len(thetas) == 1:
            ax.set_title(f"{method_label(rule)}, θ = {theta:g}", fontsize=10)
            ax.set_xlabel("number of rankings")
            ax.set_ylabel("quality ratio")
        else:
            if r == 0:
                ax.set_title(method_label(rule), fontsize=10)
            if ax is grid[r, 0]:
                ax.set_ylabel(f"θ = {theta:g}\nquality ratio")
            if r == len(thetas) - 1:
                ax.set_xlabel("number of rankings")
    handles, labels = next((ax.get_legend_handles_labels() for _, _, ax in cells
                            if ax.get_legend_handles_labels()[0]), ([], []))
    fig.suptitle(f"Selection quality vs number of biased rankings ({_noise_label(noise)} noise; "
                 f"{spread_label(n_seeds, 'seed')}, ratio to the unbiased optimum)", fontsize=11)
    if spare is not None:
        spare.axis("off")
        spare.legend(handles, labels, loc="center", fontsize=9, frameon=False,
                     title="group constraints")
        fig.tight_layout()
    else:
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9,
                   frameon=False)
        fig.tight_layout(rect=(0, 0.6 / fig.get_figheight(), 1, 1))
    save_figure(fig, out_dir / f"quality_vs_rankings_{noise}")


def _plot_needed(needed, noise, out_dir, n_max):
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.9), sharey=True)
    for ax, constrained in zip(axes, COLORS):
        part = needed[needed["constraints"] == constrained]
        for rule in RULES:
            s = part[part["rule"] == rule].sort_values("theta")
            if s.empty:
                continue
            y = s["n_needed"].fillna(2 * n_max)  # "not reached" drawn above the grid
            ax.plot(s["theta"], y, ms=6, alpha=0.85, **method_style(rule))
        ax.axhline(2 * n_max, color="grey", ls=":", lw=1.0,
                   label=f"not reached within {n_max} rankings")
        ax.set_yscale("log", base=2)
        ax.set_xlabel("θ (bias factor; 1 = unbiased)")
        ax.set_title(LABELS[constrained], fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rankings needed for\n95% of the optimum")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(f"Rankings needed for a mean quality ratio >= 0.95 ({_noise_label(noise)} "
                 "noise)", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    save_figure(fig, out_dir / f"rankings_needed_{noise}")


def _plot_gaps(gaps, out_dir):
    """Histogram of the greedy gap (>= 0 by definition: the MILP value is optimal)."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(5.5, 3.3))
    gap = 100 * gaps["gap"].clip(lower=0.0)
    bins = np.linspace(0.0, max(float(gap.max()) * 1.05, 0.1), 21)
    values, colors, labels = [], [], []
    for rule, part in gaps.groupby("rule"):
        style = method_style(rule)
        zero = int((part["gap"] <= 1e-12).sum())
        values.append(100 * part["gap"].clip(lower=0.0).to_numpy())
        colors.append(style["color"])
        labels.append(f"{style['label']} ({zero} of {len(part)} at 0)")
    ax.hist(values, bins=bins, color=colors, label=labels)  # side by side, not stacked
    ax.set_xlim(0.0, bins[-1])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("greedy + swaps gap to the MILP optimum (%)")
    ax.set_ylabel("instances")
    ax.set_title("Greedy + swap local search vs the exact MILP", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    save_figure(fig, out_dir / "greedy_gap")


register(Experiment(
    name="selection-bias",
    description="Multiwinner selection from biased rankings: quality vs number of rankings, "
                "with and without proportional constraints (Boehmer et al., ICML 2023)",
    grid=grid,
    run_point=run_point,
    report=report,
    default_seeds=5,
    quick_seeds=2,
))
