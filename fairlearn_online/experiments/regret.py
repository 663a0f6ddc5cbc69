"""``regret-synthetic`` and ``regret-adult``: groupwise regret, ours vs one ridge.

See ``docs/user_guide/regret.md`` ("Reproduced results").

Reproduces the experiments of Acharya et al., "Oracle Efficient Algorithms for Groupwise Regret"
(ICLR 2024), section 5. Every method sees the same inputs ``z = [x, group indicators]``:

* ``ours``: :class:`~fairlearn_online.regret.GroupwiseRegretRegressor` (one online ridge per group
  plus ``always_on``, AdaNormalHedge over these sleeping experts), experts on ``[z, 1]``;
* ``baseline``: one online ridge on ``[x, 1, group indicators]``
  (:class:`~fairlearn_online.regret.GroupIndicatorRidgeRegressor`), i.e. the same columns;

both with ``alpha = 1`` and predictions clipped to [0, 1] (labels are in [0, 1]). The comparator
of group ``g`` is the least-squares fit on ``[z, 1]`` over ``g``'s rounds in hindsight. Regret is
reported for the loss of the learner's prediction ``(yhat - y)^2`` (``ours``) and, as in the
paper, for the expected loss ``sum_i p_i (yhat_i - y)^2`` of the randomized learner
(``ours_expected``); the second is never smaller (Jensen).

Stream orders: the paper's ten shuffle seeds (``numpy.random.RandomState(seed).permutation``,
identical to the paper's ``DataFrame.sample(frac=1, random_state=seed)``); Adult also runs the
file order.
"""

from __future__ import annotations

import json
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..datasets import load_adult, make_groupwise_regression  # noqa: E402
from ..regret import GroupIndicatorRidgeRegressor, GroupwiseRegretRegressor, hindsight_loss  # noqa: E402
from ..utils import save_figure  # noqa: E402
from ._runner import Experiment, register  # noqa: E402

#: The paper's shuffle seeds (reference code, ``bilevel/Groupwise_seedruns.py``).
PAPER_SEEDS = (473, 503, 623, 550, 692, 989, 617, 458, 301, 205)
#: Seed of the paper's synthetic data generation (``groupwise_synthetic.ipynb``).
DATA_SEED = 21
VARIANTS = ("mean", "min", "max", "permutation")
METHODS = ("ours", "ours_expected", "baseline")
N_POINTS = 30   # evenly spaced curve points per group, plus N_LOG_POINTS log-spaced ones
N_LOG_POINTS = 15

#: End regret (mean over the 10 seeds) published with the paper's code (``tables/*.csv`` of the
#: authors' repository): (baseline, ours). Their learner loss is the expected loss
#: (our ``ours_expected``); their comparator has no intercept and clips its predictions to [0, 1].
PAPER_END_REGRET = {
    "mean": {"circle": (15.25, 0.73), "square": (15.43, 0.63), "triangle": (12.13, 0.76),
             "green": (10.02, -14.13), "red": (14.75, -1.80), "always_on": (0.76, -39.93)},
    "min": {"circle": (21.62, 0.81), "square": (64.21, 0.94), "triangle": (12.47, 0.57),
            "green": (14.55, -43.10), "red": (21.64, -16.69), "always_on": (1.04, -94.94)},
    "max": {"circle": (22.78, 0.91), "square": (17.86, 0.52), "triangle": (29.51, 0.87),
            "green": (8.65, -23.25), "red": (12.48, -23.46), "always_on": (0.86, -66.98)},
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
def _run_stream(x, y, groups: pd.DataFrame):
    """Run ours and the baseline on one stream order; return (results rows, curves rows)."""
    indicators = groups.to_numpy(dtype=np.float64)
    Z = np.hstack([x, indicators])
    ours = GroupwiseRegretRegressor(alpha=1.0, y_range=(0.0, 1.0))
    losses = {"ours": None, "ours_expected": None, "baseline": None}
    pred = ours.partial_fit_predict(Z, y, groups=groups)
    losses["ours"] = (pred - y) ** 2
    losses["ours_expected"] = ours.last_hedge_loss_
    base = GroupIndicatorRidgeRegressor(alpha=1.0, y_range=(0.0, 1.0))
    losses["baseline"] = (base.partial_fit_predict(x, y, groups=groups) - y) ** 2

    member = np.column_stack([np.ones(len(y), dtype=bool), groups.to_numpy(dtype=bool)])
    names = ["always_on"] + [str(c) for c in groups.columns]
    sse = hindsight_loss(Z, y, member)          # exact, O(p^2) per round and group
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
            results.append(dict(method=method, group=name, T_g=int(rows.size),
                                learner_loss=float(cum[rows[-1], g]),
                                hindsight_loss=float(sse[rows[-1], g]),
                                regret=float(regret[-1]),
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
    return [{"variant": v, "seed": s, "n_samples": n} for v in variants for s in _seeds(seeds)]


def synthetic_point(point):
    X, y, groups = _synthetic(point["variant"], point["n_samples"])
    order = _order(len(y), point["seed"])
    results, curves = _run_stream(X[order], y[order], groups.iloc[order].reset_index(drop=True))
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
        "White": frame["race"] == "White", "Asian-Pac-Islander": frame["race"] == "Asian-Pac-Islander",
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
LABELS = {"ours": "ours (prediction loss)", "ours_expected": "ours (expected loss, as the paper)",
          "baseline": "baseline: one ridge on [x, groups]"}
STYLES = {"ours": dict(color="C1"), "ours_expected": dict(color="C1", ls="--"),
          "baseline": dict(color="C0")}


def _end_table(results, key, paper):
    stats = results.groupby([key, "group", "method"])["regret"].agg(["mean", "std"]).unstack()
    rows = []
    for (k, group), row in stats.iterrows():
        entry = {key: k, "group": group,
                 "T_g": int(results[(results[key] == k) & (results["group"] == group)]["T_g"].iloc[0])}
        for method in METHODS:
            entry[f"{method}_mean"] = row[("mean", method)]
            entry[f"{method}_std"] = row[("std", method)]
        ref = paper.get(k, {}).get(group)
        entry["paper_baseline"] = ref[0] if ref else np.nan
        entry["paper_ours"] = ref[1] if ref else np.nan
        rows.append(entry)
    return pd.DataFrame(rows)


def _markdown(table, key):
    lines = [f"| {key} | group | T_g | baseline | ours (prediction loss) | ours (expected loss) "
             "| paper baseline | paper ours |", "|" + "---|" * 8]
    for _, r in table.iterrows():
        def fmt(m):
            return f"{r[m + '_mean']:.2f} ± {r[m + '_std']:.2f}"
        paper = ("" if np.isnan(r["paper_baseline"])
                 else f"{r['paper_baseline']:.2f} | {r['paper_ours']:.2f}")
        lines.append(f"| {r[key]} | {r['group']} | {r['T_g']} | {fmt('baseline')} | {fmt('ours')} "
                     f"| {fmt('ours_expected')} | {paper if paper else ' | '} |")
    return "\n".join(lines) + "\n"


def _curves_figure(curves, title, path, value="regret", logx=False):
    groups = list(dict.fromkeys(curves["group"]))
    ncol = 4 if len(groups) > 6 else 3
    nrow = int(np.ceil(len(groups) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, group in zip(axes.ravel(), groups):
        frame = curves[curves["group"] == group]
        for method in METHODS:
            sub = frame[frame["method"] == method].groupby("T_g")[value]
            mean, std = sub.mean(), sub.std().fillna(0.0)
            ax.plot(mean.index, mean.to_numpy(), label=LABELS[method], **STYLES[method])
            ax.fill_between(mean.index, mean - std, mean + std, alpha=0.2,
                            color=STYLES[method]["color"])
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
    # the paper's numbers are for the full streams; quick runs are shorter
    table = _end_table(results, "variant", {} if quick else PAPER_END_REGRET)
    table.to_csv(out_dir / "end_regret.csv", index=False)
    (out_dir / "end_regret.md").write_text(_markdown(table, "variant"))
    (out_dir / "targets.json").write_text(json.dumps(_targets(results, curves, "variant"), indent=2))
    for variant in results["variant"].unique():
        sub = curves[curves["variant"] == variant]
        n_seeds = results[results["variant"] == variant]["seed"].nunique()
        _curves_figure(sub, f"Synthetic '{variant}': groupwise regret over time "
                       f"(mean ± std over {n_seeds} seeds)", out_dir / f"regret_curves_{variant}")
        _curves_figure(sub, f"Synthetic '{variant}': regret per round $R_g/T_g$",
                       out_dir / f"regret_per_round_{variant}", value="regret_per_round", logx=True)


def adult_report(tables, out_dir, quick):
    results, curves = tables["results"], tables["curves"]
    results = results.assign(dataset="adult")
    curves = curves.assign(dataset="adult")
    table = _end_table(results, "dataset", {} if quick else PAPER_END_REGRET)
    table.to_csv(out_dir / "end_regret.csv", index=False)
    (out_dir / "end_regret.md").write_text(_markdown(table, "dataset"))
    (out_dir / "targets.json").write_text(json.dumps(_targets(results, curves, "dataset"), indent=2))
    n_orders = results["order"].nunique()
    _curves_figure(curves, f"Adult (income 0/1, squared loss): groupwise regret over time "
                   f"(mean ± std over {n_orders} stream orders)", out_dir / "regret_curves")
    _curves_figure(curves, "Adult: regret per round $R_g/T_g$", out_dir / "regret_per_round",
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
