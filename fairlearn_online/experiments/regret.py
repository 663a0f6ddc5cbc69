"""``regret-synthetic`` and ``regret-adult``: groupwise regret, ours vs one ridge.

See ``docs/user_guide/regret.md`` ("Reproduced results").

Reproduces the experiments of Acharya et al., "Oracle Efficient Algorithms for Groupwise Regret"
(ICLR 2024), section 5 (see ``docs/user_guide/regret.md``). Every method sees the same inputs
``z = [x, group indicators]``:

* ``ours``: :class:`~fairlearn_online.regret.GroupwiseRegretRegressor` (one online ridge per group
  plus ``always_on``, AdaNormalHedge over these sleeping experts);
* ``baseline``: one online ridge on the same columns
  (:class:`~fairlearn_online.baselines.GroupIndicatorRidgeRegressor`);

both with ``alpha = 1``, in one of two configurations (:data:`CONFIGURATIONS`):

* ``"paper"``, the authors' code (``bilevel/`` of krishnacharya/multidecomp): no intercept
  anywhere (experts, baseline and comparator see ``z`` only), no clipping of the predictions
  (the clip line of their expert is commented out), comparator unclipped;
* ``"library"``: an intercept for experts, baseline and comparator, predictions clipped to
  [0, 1] (the label range).

The comparator of group ``g`` is the least-squares fit over ``g``'s rounds in hindsight. The
authors' ``build_regret_curve`` fits it on ``X_g[:p]`` while the learner's cumulative loss at
``p`` counts ``p + 1`` rounds, so it drops each group's last row; ``regret_authors`` reproduces
that (the comparator lags one row), ``regret`` uses every row. Regret is reported for the loss of
the learner's prediction ``(yhat - y)^2`` (``ours``) and, as in the paper, for the expected loss
``sum_i p_i (yhat_i - y)^2`` of the randomized learner (``ours_expected``); the second is never
smaller (Jensen).

Stream orders: the paper's ten shuffle seeds (``numpy.random.RandomState(seed).permutation``,
identical to the paper's ``DataFrame.sample(frac=1, random_state=seed)``); Adult also runs the
file order.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..datasets import load_adult, make_groupwise_regression
from ..baselines import GroupIndicatorRidgeRegressor
from ..regret import GroupwiseRegretRegressor, hindsight_loss
from ..plotting import method_style, spread_label
from ..utils import save_figure
from ._runner import Experiment, register

#: The paper's shuffle seeds (reference code, ``bilevel/Groupwise_seedruns.py``).
PAPER_SEEDS = (473, 503, 623, 550, 692, 989, 617, 458, 301, 205)
#: Seed of the paper's synthetic data generation (``groupwise_synthetic.ipynb``).
DATA_SEED = 21
VARIANTS = ("mean", "min", "max", "permutation")
METHODS = ("ours", "ours_expected", "baseline")
#: Estimator settings of each configuration (the comparator follows ``fit_intercept``).
CONFIGURATIONS = {
    "paper": {"fit_intercept": False, "clip_predictions": False},
    "library": {"fit_intercept": True, "clip_predictions": True},
}
N_POINTS = 30   # evenly spaced curve points per group, plus N_LOG_POINTS log-spaced ones
N_LOG_POINTS = 15

def _read_paper_tables():
    tables = {}
    columns = ("baseline_mean", "baseline_std", "ours_mean", "ours_std", "hindsight_mean")
    with open(Path(__file__).with_name("regret_paper_tables.csv"), newline="") as file:
        for row in csv.DictReader(file):
            tables.setdefault(row["variant"], {})[row["group"]] = tuple(
                float(row[column]) for column in columns)
    return tables


#: The official end-regret tables of the synthetic data (``tables/synth_y{mean,min,max,dperm}.csv``
#: of the authors' repository): ``group: (baseline mean, baseline std, ours mean, ours std,
#: hindsight mean)``, mean and standard deviation (``numpy.std``, ``ddof=0``) over the 10 seeds;
#: their learner loss is the expected loss (our ``ours_expected``). ``synth_ydperm.csv`` holds two
#: (ours mean, ours std) column pairs; the second is the one their code at HEAD reproduces (ours
#: here), the first is :data:`PAPER_PERMUTATION_FIRST_PAIR` (no configuration we tried gives it).
#: The numbers are the authors' files' (``regret_paper_tables.csv`` next to this module).
PAPER_TABLES = _read_paper_tables()
PAPER_PERMUTATION_FIRST_PAIR = {"circle": (-38.658235, 0.212785), "square": (-0.332232, 0.323068),
                                "triangle": (-15.105380, 0.084736),
                                "green": (1.269186, 0.070392), "red": (0.047309, 0.268477),
                                "always_on": (-185.806256, 0.248758)}

#: End regret (mean over the 10 seeds) of the paper's tables: (baseline, ours), to 2 decimals
#: (the synthetic variants: :data:`PAPER_TABLES` rounded); Adult from
#: ``tables/adultincome.csv`` (the paper's continuous-income Adult, not the data used here).
PAPER_END_REGRET = {
    **{variant: {group: (round(row[0], 2), round(row[2], 2))
                 for group, row in PAPER_TABLES[variant].items()}
       for variant in ("mean", "min", "max")},
    "adult": {"young": (37.40, 14.01), "middle": (20.11, 14.93), "old": (22.99, 14.81),
              "HighSchool&less": (33.02, 14.38), "College&more": (28.67, 10.55),
              "Male": (20.95, -2.17), "Female": (18.82, 5.19), "White": (14.67, -17.42),
              "Asian-Pac-Islander": (5.82, 4.66), "Amer-Indian-Eskimo": (3.55, 3.48),
              "Other": (3.28, 3.21), "Black": (6.16, 2.79), "always_on": (18.25, -18.51)},
}


def _seeds(seeds):
    extra = tuple(1000 + i for i in range(max(0, seeds - len(PAPER_SEEDS))))
    return (PAPER_SEEDS + extra)[:seeds]


def _order(n, seed):
    if seed == "file":
        return np.arange(n)
    return np.random.RandomState(int(seed)).permutation(n)


def _round(v):
    return float(f"{v:.6g}")


def _curve_positions(T):
    """Indices (0-based, within a group's rounds) kept on the curves: linear and log spacing."""
    lin = np.linspace(0, T - 1, N_POINTS)
    log = np.geomspace(1, T, N_LOG_POINTS) - 1
    return np.unique(np.concatenate([lin, log]).round().astype(int))


# --------------------------------------------------------------------------------------------
# one run: both methods, regret curves of every group
# --------------------------------------------------------------------------------------------
def _run_stream(x, y, groups: pd.DataFrame, configuration="library"):
    """Run ours and the baseline on one stream order; return (results rows, curves rows).

    ``configuration`` is a key of :data:`CONFIGURATIONS`.
    """
    settings = CONFIGURATIONS[configuration]
    indicators = groups.to_numpy(dtype=np.float64)
    Z = np.hstack([x, indicators])
    ours = GroupwiseRegretRegressor(alpha=1.0, y_range=(0.0, 1.0), **settings)
    losses = {"ours": None, "ours_expected": None, "baseline": None}
    pred = ours.partial_fit_predict(Z, y, groups=groups)
    losses["ours"] = (pred - y) ** 2
    losses["ours_expected"] = ours.last_hedge_loss_
    base = GroupIndicatorRidgeRegressor(alpha=1.0, y_range=(0.0, 1.0), **settings)
    losses["baseline"] = (base.partial_fit_predict(x, y, groups=groups) - y) ** 2

    member = np.column_stack([np.ones(len(y), dtype=bool), groups.to_numpy(dtype=bool)])
    names = ["always_on"] + [str(c) for c in groups.columns]
    # exact, O(p^2) per round and group
    sse = hindsight_loss(Z, y, member, fit_intercept=settings["fit_intercept"])
    counts = np.cumsum(member, axis=0)
    results, curves = [], []
    for method, loss in losses.items():
        cum = np.cumsum(loss[:, None] * member, axis=0)
        for g, name in enumerate(names):
            rows = np.flatnonzero(member[:, g])
            if rows.size == 0:
                continue
            keep = rows[_curve_positions(rows.size)]
            regret = cum[keep, g] - sse[keep, g]
            T_g = counts[keep, g]
            # the authors' comparator at the end: least squares on all but the group's last row
            authors_sse = float(sse[rows[-2], g]) if rows.size > 1 else 0.0
            results.append(dict(method=method, group=name, T_g=int(rows.size),
                                learner_loss=float(cum[rows[-1], g]),
                                hindsight_loss=float(sse[rows[-1], g]),
                                hindsight_loss_authors=authors_sse,
                                regret=float(regret[-1]),
                                regret_authors=float(cum[rows[-1], g]) - authors_sse,
                                regret_per_round=float(regret[-1] / rows.size)))
            curves.extend(dict(method=method, group=name, T_g=int(t), regret=_round(r),
                               regret_per_round=_round(r / t)) for t, r in zip(T_g, regret))
    return results, curves


# --------------------------------------------------------------------------------------------
# synthetic
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _synthetic(variant, n_samples):
    d = make_groupwise_regression(n_samples, 20, combine=variant, random_state=DATA_SEED)
    groups = d.groups[["circle", "square", "triangle", "green", "red"]]
    return d.data, d.target, groups


def synthetic_grid(quick, seeds):
    variants = ("mean", "min", "max") if quick else VARIANTS
    n = 20_000 if quick else 100_000
    return [{"variant": v, "configuration": c, "seed": s, "n_samples": n}
            for v in variants for c in CONFIGURATIONS for s in _seeds(seeds)]


def synthetic_point(point):
    X, y, groups = _synthetic(point["variant"], point["n_samples"])
    order = _order(len(y), point["seed"])
    results, curves = _run_stream(X[order], y[order], groups.iloc[order].reset_index(drop=True),
                                  point.get("configuration", "library"))
    return {"results": results, "curves": curves}


# --------------------------------------------------------------------------------------------
# Adult
# --------------------------------------------------------------------------------------------
ADULT_NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
ADULT_ONE_HOT = ["workclass", "marital-status", "relationship", "native-country", "occupation"]


@lru_cache(maxsize=1)
def adult_data():
    """Adult (``adult.data``) as in the paper: features, 0/1 income, the 12 groups.

    ``x``: min-max scaled numeric columns (age, education-num, capital gain/loss, hours) and
    one-hot workclass, marital status, relationship, native country, occupation (missing = its
    own category); ``fnlwgt`` and ``education`` are dropped (as in the paper). Groups
    (``docs/user_guide/regret.md``): age <=35 / 36-50 / >50, education-num <=9 / >=10, sex,
    race; sex and
    race enter the models only through the group indicators.
    """
    frame = load_adult("train").frame
    num = frame[ADULT_NUMERIC].to_numpy(dtype=np.float64)
    span = num.max(axis=0) - num.min(axis=0)
    num = (num - num.min(axis=0)) / np.where(span > 0, span, 1.0)
    cats = pd.get_dummies(frame[ADULT_ONE_HOT].astype("string").fillna("?"), dtype=np.float64)
    x = np.hstack([num, cats.to_numpy()])
    age, edu = frame["age"], frame["education-num"]
    groups = pd.DataFrame({
        "young": age <= 35, "middle": (age > 35) & (age <= 50), "old": age > 50,
        "HighSchool&less": edu <= 9, "College&more": edu >= 10,
        "Male": frame["sex"] == "Male", "Female": frame["sex"] == "Female",
        "White": frame["race"] == "White",
        "Asian-Pac-Islander": frame["race"] == "Asian-Pac-Islander",
        "Amer-Indian-Eskimo": frame["race"] == "Amer-Indian-Eskimo",
        "Other": frame["race"] == "Other", "Black": frame["race"] == "Black",
    }).astype(bool)
    y = frame["income"].to_numpy(dtype=np.float64)
    return np.ascontiguousarray(x), y, groups


def adult_grid(quick, seeds):
    n = 5_000 if quick else None
    orders = ["file"] + list(_seeds(max(seeds - 1, 0) if quick else seeds))
    return [{"order": o, "n_samples": n} for o in orders]


def adult_point(point):
    x, y, groups = adult_data()
    order = _order(len(y), point["order"])
    if point["n_samples"]:
        order = order[: point["n_samples"]]
    results, curves = _run_stream(x[order], y[order], groups.iloc[order].reset_index(drop=True))
    return {"results": results, "curves": curves}


# --------------------------------------------------------------------------------------------
# reports
# --------------------------------------------------------------------------------------------
#: the expected loss is dashed: it is the paper's learner loss, the solid line ours
LINESTYLES = {"ours": "-", "ours_expected": "--", "baseline": "-"}


def _end_table(results, key, paper):
    stats = results.groupby([key, "group", "method"])["regret"].agg(["mean", "std"]).unstack()
    rows = []
    for (k, group), row in stats.iterrows():
        rows_of_group = results[(results[key] == k) & (results["group"] == group)]
        entry = {key: k, "group": group, "T_g": int(rows_of_group["T_g"].iloc[0])}
        for method in METHODS:
            entry[f"{method}_mean"] = row[("mean", method)]
            entry[f"{method}_std"] = row[("std", method)]
        ref = paper.get(k, {}).get(group)
        entry["paper_baseline"] = ref[0] if ref else np.nan
        entry["paper_ours"] = ref[1] if ref else np.nan
        rows.append(entry)
    return pd.DataFrame(rows)


def _markdown(table, key):
    has_paper = table["paper_baseline"].notna().any()
    head = (f"| {key} | group | T_g | baseline | ours (prediction loss) | ours (expected loss) |"
            + (" paper baseline | paper ours |" if has_paper else ""))
    lines = [head, "|" + "---|" * (8 if has_paper else 6)]
    for _, r in table.iterrows():
        def fmt(m):
            return f"{r[m + '_mean']:.2f} ± {r[m + '_std']:.2f}"
        line = (f"| {r[key]} | {r['group']} | {r['T_g']} | {fmt('baseline')} | {fmt('ours')} "
                f"| {fmt('ours_expected')} |")
        if has_paper:
            line += (" – | – |" if np.isnan(r["paper_baseline"])
                     else f" {r['paper_baseline']:.2f} | {r['paper_ours']:.2f} |")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _paper_configuration_table(results):
    """End regret of the paper's configuration next to the official tables, cell by cell.

    As the authors' tables: the comparator of :func:`_run_stream`'s ``regret_authors`` (their
    ``build_regret_curve``, the group's last row dropped), mean and ``numpy.std`` (``ddof=0``)
    over the seeds, the learner's expected loss for ``ours``.
    """
    paper = results[results["configuration"] == "paper"]
    rows = []
    for (variant, group), frame in paper.groupby(["variant", "group"], sort=False):
        by = frame.set_index(["method", "seed"])
        base = by.loc["baseline", "regret_authors"]
        ours = by.loc["ours_expected", "regret_authors"]
        hind = by.loc["baseline", "hindsight_loss_authors"]
        exact = by.loc["ours_expected", "regret"]
        entry = dict(variant=variant, group=group, T_g=int(frame["T_g"].iloc[0]),
                     baseline_mean=base.mean(), baseline_std=base.std(ddof=0),
                     ours_mean=ours.mean(), ours_std=ours.std(ddof=0),
                     hindsight_mean=hind.mean(), ours_exact_comparator=exact.mean())
        ref = PAPER_TABLES.get(variant, {}).get(group)
        if ref is not None:
            entry.update(paper_baseline_mean=ref[0], paper_baseline_std=ref[1],
                         paper_ours_mean=ref[2], paper_ours_std=ref[3], paper_hindsight=ref[4])
            entry["max_abs_diff"] = max(abs(entry[f"{a}"] - entry[f"paper_{a}"]) for a in (
                "baseline_mean", "baseline_std", "ours_mean", "ours_std"))
            first = PAPER_PERMUTATION_FIRST_PAIR.get(group) if variant == "permutation" else None
            if first is not None:
                entry["max_abs_diff_first_pair"] = max(abs(entry["ours_mean"] - first[0]),
                                                       abs(entry["ours_std"] - first[1]))
        rows.append(entry)
    return pd.DataFrame(rows)


def _paper_markdown(table):
    """The table as markdown; without the official tables' columns when they are absent (quick
    runs, whose shorter streams the official numbers do not describe)."""
    official = "paper_ours_mean" in table and table["paper_ours_mean"].notna().any()
    if not official:
        lines = ["| variant | group | T_g | baseline | ours, expected loss "
                 "| ours with every row in the comparator |", "|" + "---|" * 6]
        for _, r in table.iterrows():
            lines.append(f"| {r['variant']} | {r['group']} | {r['T_g']} "
                         f"| {r['baseline_mean']:.4f} ± {r['baseline_std']:.4f} "
                         f"| {r['ours_mean']:.4f} ± {r['ours_std']:.4f} "
                         f"| {r['ours_exact_comparator']:.4f} |")
        return "\n".join(lines) + "\n"
    lines = ["| variant | group | T_g | baseline (ours / official) | ours, expected loss "
             "(ours / official) | max abs. difference | ours with every row in the comparator |",
             "|" + "---|" * 7]
    for _, r in table.iterrows():
        def pair(a):
            if np.isnan(r.get(f"paper_{a}_mean", np.nan)):
                return f"{r[a + '_mean']:.4f} ± {r[a + '_std']:.4f} / –"
            return (f"{r[a + '_mean']:.4f} ± {r[a + '_std']:.4f} / "
                    f"{r['paper_' + a + '_mean']:.4f} ± {r['paper_' + a + '_std']:.4f}")
        diff = "–" if np.isnan(r.get("max_abs_diff", np.nan)) else f"{r['max_abs_diff']:.4f}"
        lines.append(f"| {r['variant']} | {r['group']} | {r['T_g']} | {pair('baseline')} "
                     f"| {pair('ours')} | {diff} | {r['ours_exact_comparator']:.4f} |")
    if "max_abs_diff_first_pair" in table and table["max_abs_diff_first_pair"].notna().any():
        lines.append("")
        lines.append("Permutation: the official table holds two (ours mean, std) column pairs; the "
                     "second is shown above, the first differs from ours by up to "
                     f"{table['max_abs_diff_first_pair'].max():.4f}.")
    return "\n".join(lines) + "\n"


def _run_columns(frame):
    return [c for c in ("seed", "order") if c in frame.columns]


def _on_common_grid(frame, value):
    """Every run's curve interpolated on one grid of ``T_g`` (that of the shortest run).

    Runs whose group sizes differ (prefixes of different stream orders, quick runs) keep their
    curve points at different ``T_g``; averaging by ``T_g`` then mixes different subsets of runs
    at neighbouring points and the mean zigzags. Returns ``(grid, values[run, point])``.
    """
    keys = _run_columns(frame)
    runs = ([g.sort_values("T_g") for _, g in frame.groupby(keys)] if keys
            else [frame.sort_values("T_g")])
    t_max = min(int(r["T_g"].iloc[-1]) for r in runs)
    grid = _curve_positions(t_max) + 1
    return grid, np.array([np.interp(grid, r["T_g"], r[value]) for r in runs])


def _curves_figure(curves, title, path, value="regret", logx=False):
    """Regret curves (mean ± std over the runs) or, with ``logx``, regret per round on a
    symmetric log scale (median and 10%-90% range over the runs: a ± std band of a quantity
    spanning decades would reach far below its smallest value)."""
    groups = list(dict.fromkeys(curves["group"]))
    ncol = 4 if len(groups) > 6 else 3
    nrow = int(np.ceil(len(groups) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, group in zip(axes.ravel(), groups):
        frame = curves[curves["group"] == group]
        for method in METHODS:
            grid, values = _on_common_grid(frame[frame["method"] == method], value)
            if logx:
                center = np.median(values, axis=0)
                low, high = np.quantile(values, [0.1, 0.9], axis=0)
            else:
                center = values.mean(axis=0)
                std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(center)
                low, high = center - std, center + std
            style = method_style(method)
            ax.plot(grid, center, color=style["color"], label=style["label"],
                    ls=LINESTYLES[method])
            ax.fill_between(grid, low, high, alpha=0.2, color=style["color"])
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("rounds of the group $T_g$")
        if logx:
            ax.set_xscale("log")
            # regret/T_g spans decades around 0: linear within +-1e-4, logarithmic beyond
            ax.set_yscale("symlog", linthresh=1e-4)
    for ax in axes.ravel()[len(groups):]:
        ax.axis("off")
    axes[0, 0].set_ylabel("regret" if value == "regret" else "regret / $T_g$")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=3, bbox_to_anchor=(0.5, 1.0))
    fig.suptitle(title, y=1.04)
    fig.tight_layout()
    save_figure(fig, path)


def _targets(results, curves, key):
    """Measured target checks: ours below baseline on every group; regret/T_g shrinking."""
    out = {}
    for k, frame in results.groupby(key):
        mean = frame.groupby(["group", "method"])["regret"].mean().unstack()
        out[str(k)] = {
            "every_group_ours_below_baseline": bool((mean["ours"] < mean["baseline"]).all()),
            "every_group_ours_expected_below_baseline":
                bool((mean["ours_expected"] < mean["baseline"]).all()),
        }
        ours = curves[(curves[key] == k) & (curves["method"] == "ours_expected")]
        shrink = {}
        for group, g in ours.groupby("group"):
            per = g.groupby("T_g")["regret_per_round"].mean()
            # mean regret/T_g over the seeds at ~1% and ~10% of the group's rounds, and at the end
            T = per.index.to_numpy()
            at = {f"at_{q}pct": float(per.iloc[int(np.argmin(np.abs(T - T[-1] * q / 100)))])
                  for q in (1, 10)}
            base = curves[(curves[key] == k) & (curves["method"] == "baseline")
                          & (curves["group"] == group)].groupby("T_g")["regret_per_round"].mean()
            shrink[group] = at | {"at_end": float(per.iloc[-1]),
                                  "baseline_at_end": float(base.iloc[-1])}
        out[str(k)]["regret_per_round_ours_expected"] = shrink
    return out


def synthetic_report(tables, out_dir, quick):
    results, curves = tables["results"], tables["curves"]
    if "configuration" not in results:
        results = results.assign(configuration="library")
        curves = curves.assign(configuration="library")
    # the paper's configuration next to the official tables (full streams only)
    paper = _paper_configuration_table(results) if (results["configuration"] == "paper").any() \
        else pd.DataFrame()
    targets = {}
    if len(paper):
        if quick:  # the official numbers are for the full streams
            paper = paper.drop(columns=[c for c in paper.columns
                                        if c.startswith("paper_") or c.startswith("max_abs")])
        paper.to_csv(out_dir / "end_regret_paper_configuration.csv", index=False)
        (out_dir / "end_regret_paper_configuration.md").write_text(_paper_markdown(paper))
        if "max_abs_diff" in paper:
            targets["paper_configuration_vs_official_tables"] = {
                "max_abs_diff": float(paper["max_abs_diff"].max()),
                "cells": int(4 * paper["max_abs_diff"].notna().sum()),
                "all_within_0.01": bool((paper["max_abs_diff"] <= 0.01).all()),
                "permutation_first_ours_pair_max_abs_diff":
                    float(paper.get("max_abs_diff_first_pair", pd.Series(dtype=float)).max())}
    lib = results[results["configuration"] == "library"]
    lib_curves = curves[curves["configuration"] == "library"]
    table = _end_table(lib, "variant", {})
    table.to_csv(out_dir / "end_regret.csv", index=False)
    (out_dir / "end_regret.md").write_text(_markdown(table, "variant"))
    targets["library_configuration"] = _targets(lib, lib_curves, "variant")
    (out_dir / "targets.json").write_text(json.dumps(targets, indent=2))
    for variant in lib["variant"].unique():
        sub = lib_curves[lib_curves["variant"] == variant]
        n_seeds = lib[lib["variant"] == variant]["seed"].nunique()
        _curves_figure(sub, f"Synthetic '{variant}': groupwise regret over time "
                       f"({spread_label(n_seeds, 'seed', 'mean ± std')})",
                       out_dir / f"regret_curves_{variant}")
        _curves_figure(sub, f"Synthetic '{variant}': regret per round $R_g/T_g$ "
                       f"({spread_label(n_seeds, 'seed', 'median and 10%-90% range')})",
                       out_dir / f"regret_per_round_{variant}", value="regret_per_round",
                       logx=True)


def adult_report(tables, out_dir, quick):
    results, curves = tables["results"], tables["curves"]
    results = results.assign(dataset="adult")
    curves = curves.assign(dataset="adult")
    table = _end_table(results, "dataset", {} if quick else PAPER_END_REGRET)
    table.to_csv(out_dir / "end_regret.csv", index=False)
    (out_dir / "end_regret.md").write_text(_markdown(table, "dataset"))
    targets = _targets(results, curves, "dataset")
    (out_dir / "targets.json").write_text(json.dumps(targets, indent=2))
    n_orders = results["order"].nunique()
    _curves_figure(curves, f"Adult (income 0/1, squared loss): groupwise regret over time "
                   f"({spread_label(n_orders, 'stream order', 'mean ± std')})",
                   out_dir / "regret_curves")
    range_label = spread_label(n_orders, "stream order", "median and 10%-90% range")
    _curves_figure(curves, f"Adult: regret per round $R_g/T_g$ ({range_label})",
                   out_dir / "regret_per_round",
                   value="regret_per_round", logx=True)


register(Experiment(
    name="regret-synthetic",
    description="Groupwise regret on the paper's synthetic data (mean/min/max/permutation), "
                "ours vs one ridge",
    grid=synthetic_grid, run_point=synthetic_point, report=synthetic_report,
    default_seeds=10, quick_seeds=2,
))

register(Experiment(
    name="regret-adult",
    description="Groupwise regret on Adult (age, education, sex, race groups), ours vs one ridge",
    grid=adult_grid, run_point=adult_point, report=adult_report,
    default_seeds=10, quick_seeds=2,
))
