"""``adult-frontier`` and ``compas-frontier``: the Aranyani paper's accuracy / parity frontiers.

Protocol of the Aranyani paper (``docs/user_guide/forest.md``): ``load_stream`` (label-encoded,
standardized features; Adult's
``adult.data`` with sex as the protected attribute, COMPAS's ``is_recid`` with White vs.
non-White), one prequential pass per stream order (seed), the paper's lambda grids. Every
method sees the same stream: the forest with the paper's capped Huber gradient
(``aranyani``), with the uncapped gradient (``aranyani-uncapped``), with a 500-per-group
reservoir instead of aggregate statistics (``aranyani-reservoir``), with the penalty on the
forest's output instead of its nodes (``aranyani-output``, an extension), the same with
statistics that forget (``aranyani-output-decay``, ``statistics_decay=0.999``, Adult only),
the online logistic
model with the same aggregate fairness gradient (``fair-logistic``), majority class,
scikit-learn's ``SGDClassifier(loss="log_loss")`` one sample at a time, and river's Hoeffding
and Hoeffding adaptive trees.

Tables: ``results`` (one row per method, lambda and seed: prequential accuracy and demographic
parity difference at the end of the stream, plus for the forest the node-level parity gaps and
the parity of the final model), ``curves`` (the running metrics over the stream) and
``summary`` (mean and standard deviation over seeds). Figures: ``frontier``,
``dp_over_stream`` and ``node_vs_prediction_parity``.

Two protocols (``--protocol``):

* ``shuffled`` (default): one prequential pass per shuffled stream order (``seed``), the
  paper's lambda grids extended to where each method reaches DP <= 0.02, every method.
* ``paper``: the authors' loop's protocol (``train_online`` and ``data.py`` of their public
  repository): the stream in file order, features label-encoded then standardized with
  whole-stream statistics, binary groups, the paper's lambda grids exactly, the forest with
  the authors' fairness gradient and no step before both groups are seen (also at lambda = 0,
  as their configurations run it), the paper's baselines; ``seed`` varies only the
  initialization. See ``docs/user_guide/forest.md``.
"""

from __future__ import annotations

import math
from functools import lru_cache, partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..datasets import load_stream
from ..evaluate import prequential
from ..plotting import dataset_label, method_style, spread_label, summarize_over_seeds
from ..utils import save_figure
from ._methods import make_estimator, requirements
from ._runner import Experiment, available_methods, register
from ._tables import summary_markdown

#: the paper's grids (``docs/user_guide/forest.md``, "Reproduced results")
ADULT_LAMBDAS = [0.0, 0.1, 0.3, 0.5, 1.0, 5.0, 10.0, 100.0]
COMPAS_LAMBDAS = [0.0] + [round(0.01 * i, 2) for i in range(1, 11)] + [0.3, 0.5, 1.0, 5.0,
                                                                        10.0, 100.0]
#: the authors' COMPAS configuration (``src/configs/compas_config.yaml``): no .06 / .07
PAPER_COMPAS_LAMBDAS = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.08, 0.09, 0.1, 0.3, 0.5, 1.0, 5.0,
                        10.0, 100.0]
#: beyond the paper's grid, to locate where each fair method reaches DP <= 0.02 on Adult
ADULT_EXTRA_LAMBDAS = [300.0, 1000.0, 3000.0, 10000.0]

FAIR_METHODS = ("aranyani", "aranyani-huber", "aranyani-uncapped", "aranyani-reservoir",
                "aranyani-output", "aranyani-output-decay", "fair-logistic")
PLAIN_METHODS = ("majority", "sgd-log-loss", "hoeffding-tree", "hoeffding-adaptive-tree", "faht",
                 "faht-info-gain")
#: the methods that need an optional extra (river's trees)
RIVER_METHODS = requirements(PLAIN_METHODS)

PROTOCOLS = ("shuffled", "paper")
#: the authors' COMPAS columns (their ``data.read_compas``), from the ProPublica file
PAPER_COMPAS_COLUMNS = ["juv_fel_count", "juv_misd_count", "juv_other_count", "priors_count",
                        "age", "c_charge_degree", "c_charge_desc", "age_cat", "sex", "race"]


def _grid(dataset, quick, seeds, protocol="shuffled"):
    if protocol == "paper":
        return _paper_grid(dataset, quick, seeds)
    if quick:  # the README's smoke run: a few lambdas, the cheap methods (< 2 minutes)
        lambdas = ([0.0, 10.0, 100.0, 1000.0] if dataset == "adult"
                   else [0.0, 0.05, 0.5, 5.0, 100.0])
        per_method = {"aranyani": lambdas, "aranyani-output": lambdas[1:],
                      "fair-logistic": lambdas}
        plain = ["majority", "hoeffding-tree"]
    else:
        lambdas = ADULT_LAMBDAS + ADULT_EXTRA_LAMBDAS if dataset == "adult" else COMPAS_LAMBDAS
        reservoir = [100.0, 1000.0] if dataset == "adult" else [0.1, 1.0, 10.0, 100.0]
        per_method = {"aranyani": lambdas, "aranyani-huber": lambdas,
                      "aranyani-uncapped": lambdas,
                      "aranyani-output": lambdas, "fair-logistic": lambdas,
                      "aranyani-reservoir": reservoir}
        if dataset == "adult":
            per_method["aranyani-output-decay"] = [10.0, 100.0, 300.0, 1000.0, 3000.0]
        plain = list(PLAIN_METHODS)
    return _points(dataset, seeds, per_method, plain, "shuffled")


def _paper_grid(dataset, quick, seeds):
    lambdas = ADULT_LAMBDAS if dataset == "adult" else PAPER_COMPAS_LAMBDAS
    if quick:
        lambdas = [0.0, 1.0, 100.0]
        per_method = {"aranyani": lambdas}
        plain = ["majority"]
    else:
        reservoir = [10.0] if dataset == "adult" else [1.0, 10.0]
        per_method = {"aranyani": lambdas, "aranyani-huber": lambdas,
                      "aranyani-reservoir": reservoir}
        plain = ["majority", "hoeffding-tree", "hoeffding-adaptive-tree", "faht", "faht-info-gain"]
    return _points(dataset, seeds, per_method, plain, "paper")


def _points(dataset, seeds, per_method, plain, protocol):
    plain = available_methods(plain, requires=RIVER_METHODS)
    points = []
    for seed in range(seeds):
        for method, grid in per_method.items():
            points += [dict(dataset=dataset, method=method, fairness_weight=lam, seed=seed,
                            protocol=protocol) for lam in grid]
        points += [dict(dataset=dataset, method=m, fairness_weight=np.nan, seed=seed,
                        protocol=protocol) for m in plain]
    return points


def paper_stream(dataset):
    """The stream of the authors' protocol: file order, binary groups, label-encoded features
    standardized with whole-stream statistics.

    Adult is :func:`~fairlearn_online.datasets.load_stream` in file order (the authors'
    ``read_adult``: 14 columns, ``?`` a category of its own, sex among the inputs). COMPAS
    takes the authors' ten columns (``PAPER_COMPAS_COLUMNS``, with race coded White = 1,
    other = 0 as their ``read_compas`` maps it) from the filtered ProPublica file, target
    ``is_recid``; the authors read pre-made CSV files that their repository does not ship and
    do not standardize them, which on this file's raw codes leaves the forest near chance
    (``docs/user_guide/forest.md``), so the columns are standardized as for Adult.
    """
    if dataset == "adult":
        return load_stream("adult")
    from ..datasets import load_compas
    from ..datasets._loaders import encode_features

    bunch = load_compas(target="is_recid")
    data = bunch.frame[PAPER_COMPAS_COLUMNS].copy()
    white = (data["race"] == "Caucasian").to_numpy()
    data["race"] = white.astype(np.int64)
    X = np.ascontiguousarray(encode_features(data))
    groups = np.where(white, "White", "non-White").astype(object)
    return X, bunch.target.to_numpy(), groups


@lru_cache(maxsize=4)
def _stream(dataset, seed, protocol="shuffled"):
    if protocol == "paper":  # file order: the seed only initializes the models
        X, y, groups = paper_stream(dataset)
    else:
        X, y, groups = load_stream(dataset, random_state=seed)
    X.flags.writeable = False
    return X, y, groups


def _gap(values, groups):
    means = [values[groups == a].mean() for a in np.unique(groups)]
    return float(max(means) - min(means))


def run_point(point):
    """One prequential pass of one method on one stream order."""
    protocol = point.get("protocol", "shuffled")
    X, y, groups = _stream(point["dataset"], point["seed"], protocol)
    lam = point["fairness_weight"]
    est = make_estimator(point["method"], 0.0 if np.isnan(lam) else float(lam), point["seed"],
                         protocol, dataset=point["dataset"])
    every = 1000 if point["dataset"] == "adult" else 200
    curve = prequential(est, X, y, sensitive_features=groups, every=every, progress=False)
    last = curve.iloc[-1]
    row = {"accuracy": float(last["accuracy"]),
           "demographic_parity_difference": float(last["demographic_parity_difference"]),
           "equalized_odds_difference": float(last["equalized_odds_difference"]),
           "n_samples": int(last["n_samples"])}
    if point["method"].startswith("aranyani"):
        proba = est.predict_proba(X)[:, 1]
        row["soft_dp_final_model"] = _gap(proba, groups)
        row["dp_final_model"] = _gap((proba > 0.5).astype(float), groups)
    if point["method"].startswith("aranyani") and est.fairness_target == "nodes":
        # node-level parity (what the penalty equalizes) against prediction-level parity
        s_now = est.node_outputs(X).reshape(len(X), -1)
        if est.fairness_memory == "aggregate":  # the reservoir keeps no aggregate sums
            row["node_gap_aggregate"] = float(np.mean(est.node_parity_gaps()))
        row["node_gap_final_model"] = float(np.mean(
            [_gap(s_now[:, q], groups) for q in range(s_now.shape[1])]))
    curves = curve[["n_samples", "accuracy", "demographic_parity_difference"]].to_dict("records")
    return {"results": [row], "curves": curves}


def summarize(results):
    cols = [c for c in ("accuracy", "demographic_parity_difference", "equalized_odds_difference",
                        "node_gap_aggregate", "node_gap_final_model", "soft_dp_final_model",
                        "dp_final_model") if c in results]
    return summarize_over_seeds(results, by=["method", "fairness_weight"], metrics=cols)


def _report(dataset, title):
    def report(tables, out_dir, quick):
        results, curves = tables["results"], tables["curves"]
        protocol = (str(results["protocol"].iloc[0]) if "protocol" in results
                    else "shuffled")
        summary = summarize(results)
        summary.to_csv(out_dir / "summary.csv", index=False)
        limits = limit_curves(dataset, protocol, n_points=6 if quick else 16)
        limits.to_csv(out_dir / "limits.csv", index=False)
        write_limit_vs_best(summary, limits, out_dir)
        (out_dir / "summary.md").write_text(summary_markdown(summary))
        n_seeds = int(results["seed"].nunique())
        unit = ("stream order" if protocol == "shuffled"
                else "initialization, stream in file order")
        spread = spread_label(n_seeds, unit)
        _frontier_figure(summary, limits, out_dir, title, spread)
        _stream_figure(curves, out_dir, title, dataset, spread)
        if "node_gap_aggregate_mean" in summary:
            _node_figure(summary, out_dir, title)
    return report


def limit_curves(dataset, protocol="shuffled", n_points=16):
    """The two reference curves of a frontier figure, on the data the protocol streams:
    the cross-fitted optimal fair post-processing of a boosted model (out of sample,
    attainable) and the LP optimum over quantile cells of its out-of-fold score (in-sample,
    tighter); see :func:`fairlearn_online.frontier.postprocessing_limit`."""
    from ..frontier import postprocessing_limit

    X, y, groups = paper_stream(dataset) if protocol == "paper" else load_stream(dataset)
    eps = np.linspace(0.0, 0.2 if dataset == "adult" else 0.25, n_points)
    frames = []
    for in_sample in (False, True):
        curve = postprocessing_limit(X, y, sensitive_features=groups, eps_grid=eps,
                                     in_sample=in_sample)
        frames.append(curve.assign(limit=curve.attrs["label"]))
    return pd.concat(frames, ignore_index=True)


DP_LEVELS = (0.02, 0.05, 0.10, 0.15)


def limit_vs_best(summary, limits, levels=DP_LEVELS):
    """Per demographic-parity level: each reference's accuracy (the curve at that DP bound) and
    the best model of the sweep whose mean prequential DP is within it.

    Parameters
    ----------
    summary : DataFrame
        One row per method and ``fairness_weight`` with ``accuracy_mean``, ``accuracy_std`` and
        ``demographic_parity_difference_mean`` (:func:`summarize`); a ``dataset`` column is
        kept as a key when present.
    limits : DataFrame
        The reference curves (:func:`limit_curves`): ``limit``, ``eps``-ordered rows with
        ``demographic_parity_difference`` and ``accuracy``.
    levels : sequence of float
        The DP levels.

    Returns
    -------
    DataFrame
        One row per level (and dataset): ``dp_level``, one ``accuracy`` column per reference,
        ``best_method``, ``best_fairness_weight``, ``best_accuracy`` (mean), its sd and DP, and
        ``gap_to_<first reference>``.
    """
    keys = ["dataset"] if "dataset" in summary and "dataset" in limits else []
    rows = []
    groups = summary.groupby(keys) if keys else [((), summary)]
    for key, models in groups:
        refs = limits
        if keys:
            refs = limits[limits["dataset"] == (key[0] if isinstance(key, tuple) else key)]
        models = models[models["method"] != "majority"]
        for level in levels:
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,)), dp_level=level)
            for label, curve in refs.groupby("limit", sort=False):
                inside = curve[curve["demographic_parity_difference"] <= level + 1e-9]
                row[f"accuracy: {label}"] = (float(inside["accuracy"].max()) if len(inside)
                                             else np.nan)
            fair = models[models["demographic_parity_difference_mean"] <= level]
            if len(fair):
                best = fair.loc[fair["accuracy_mean"].idxmax()]
                row.update(best_method=best["method"],
                           best_fairness_weight=best["fairness_weight"],
                           best_accuracy=float(best["accuracy_mean"]),
                           best_accuracy_std=float(best["accuracy_std"]),
                           best_dp=float(best["demographic_parity_difference_mean"]))
            else:
                row.update(best_method=None, best_fairness_weight=np.nan,
                           best_accuracy=np.nan, best_accuracy_std=np.nan, best_dp=np.nan)
            first = next((c for c in row if c.startswith("accuracy: ")), None)
            if first is not None:
                row["gap_to_reference"] = row[first] - row["best_accuracy"]
            rows.append(row)
    return pd.DataFrame(rows)


def limit_vs_best_markdown(table):
    """:func:`limit_vs_best` as a markdown table (accuracies to 3 decimals)."""
    refs = [c for c in table.columns if c.startswith("accuracy: ")]
    keys = ["dataset"] if "dataset" in table else []
    head = keys + ["DP <="] + [c[len("accuracy: "):] for c in refs] + [
        "best model (DP within the level)", "its accuracy", "its DP", "reference minus best"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        model = ("none" if r["best_method"] is None or pd.isna(r["best_method"]) else
                 f"{r['best_method']}" + ("" if pd.isna(r["best_fairness_weight"])
                                          else f", λ = {r['best_fairness_weight']:g}"))
        cells = [str(r[k]) for k in keys] + [f"{r['dp_level']:.2f}"]
        cells += ["–" if pd.isna(r[c]) else f"{r[c]:.3f}" for c in refs]
        cells += [model,
                  "–" if pd.isna(r["best_accuracy"]) else
                  f"{r['best_accuracy']:.3f} ± {r['best_accuracy_std']:.3f}",
                  "–" if pd.isna(r["best_dp"]) else f"{r['best_dp']:.3f}",
                  "–" if pd.isna(r.get("gap_to_reference", np.nan)) else
                  f"{r['gap_to_reference']:+.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_limit_vs_best(summary, limits, out_dir):
    table = limit_vs_best(summary, limits)
    table.to_csv(out_dir / "limit_vs_best.csv", index=False)
    (out_dir / "limit_vs_best.md").write_text(limit_vs_best_markdown(table))
    return table


def draw_limits(ax, limits):
    for (label, curve), ls in zip(limits.groupby("limit", sort=False), ("--", ":")):
        curve = curve.sort_values("demographic_parity_difference")
        ax.plot(curve["demographic_parity_difference"], curve["accuracy"], color="k", ls=ls,
                lw=1.3, label=label)


#: the forest's variants, drawn in two panels beside the baselines' panel: the form of the
#: fairness gradient, and what the penalty acts on / remembers (the default forest in each)
GRADIENT_PANEL = ("aranyani", "aranyani-huber", "aranyani-uncapped")
TARGET_PANEL = ("aranyani", "aranyani-output", "aranyani-output-decay", "aranyani-reservoir")
VARIANT_PANEL = GRADIENT_PANEL + TARGET_PANEL[1:]


def _frontier_figure(summary, limits, out_dir, title, spread):
    """Three panels sharing the axes, each with the default forest and the reference curves:
    the fairness-gradient forms, the penalty's target and memory, and every baseline."""
    fig, axes = plt.subplots(1, 3, figsize=(19, 5.9), sharex=True, sharey=True)
    panels = (("the fairness gradient", lambda m: m in GRADIENT_PANEL),
              ("what the penalty acts on and remembers", lambda m: m in TARGET_PANEL),
              ("the baselines", lambda m: m == "aranyani" or m not in VARIANT_PANEL))
    low = []
    models = summary[summary["method"] != "majority"]
    for ax, (name, keep) in zip(axes, panels):
        labelled = []
        for method, frame in summary.groupby("method", sort=False):
            frame = frame.sort_values("fairness_weight")
            x, y = frame["demographic_parity_difference_mean"], frame["accuracy_mean"]
            style = method_style(method)
            if method == "majority":  # far below every model: annotated instead of drawn
                if ax is axes[0]:
                    low.append(f"{style['label']}: accuracy {y.iloc[0]:.3f}, "
                               f"DP {x.iloc[0]:.3f}")
                continue
            if not keep(method):
                continue
            ax.errorbar(x, y, xerr=frame["demographic_parity_difference_std"].fillna(0.0),
                        yerr=frame["accuracy_std"].fillna(0.0), ms=5, capsize=2,
                        lw=1.2 if method in FAIR_METHODS else 0, elinewidth=0.8, **style)
            if method in ("aranyani", "aranyani-huber", "aranyani-output", "fair-logistic"):
                labelled.append((method, style["color"], x, y, frame["fairness_weight"]))
        draw_limits(ax, limits)
        ax.axvline(0.02, color="gray", ls="-.", lw=0.9, label="DP = 0.02")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
        ax.set_xlabel("demographic parity difference (prequential, end of stream)")
        ax._lambda_series = labelled
    ymin = float((models["accuracy_mean"] - models["accuracy_std"].fillna(0)).min())
    ymax = float(max(limits["accuracy"].max(), models["accuracy_mean"].max()))
    axes[0].set_ylim(ymin - 0.01, ymax + 0.01)
    xmax = float((models["demographic_parity_difference_mean"]
                  + models["demographic_parity_difference_std"].fillna(0)).max())
    axes[0].set_xlim(-0.005, max(xmax, 0.05) * 1.05)
    axes[0].set_ylabel("prequential accuracy")
    fig.suptitle(f"{title}: accuracy vs parity ({spread}; numbers: lambda)", fontsize=11)
    if low:
        fig.text(0.995, 0.005, "not shown: " + "; ".join(low), ha="right", va="bottom",
                 fontsize=7, color="0.3")
    legend = {}  # one legend for the three panels, below them: it covers no data
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=4, fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.015 + 0.03 * math.ceil(len(legend) / 4), 1, 1))
    for ax in axes:
        _label_lambdas(ax, ax._lambda_series)
    save_figure(fig, out_dir / "frontier")


def _label_lambdas(ax, series, min_pixels=16):
    """Write each point's lambda beside it, skipping a label that would land within
    ``min_pixels`` of one already written (the strong-penalty points crowd near DP = 0.02)."""
    placed = []
    ax.figure.canvas.draw()  # the final limits, so data -> pixel is what gets saved
    for method, color, x, y, lambdas in series:
        dy = 3 if method == "aranyani" else -9
        for xi, yi, lam in zip(x, y, lambdas):
            px, py = ax.transData.transform((xi, yi))
            py += dy
            if any(abs(px - qx) < min_pixels * 1.6 and abs(py - qy) < min_pixels * 0.7
                   for qx, qy in placed):
                continue
            placed.append((px, py))
            ax.annotate(f"{lam:g}", (xi, yi), textcoords="offset points", xytext=(3, dy),
                        fontsize=6.5, color=color)


def _stream_figure(curves, out_dir, title, dataset, spread):
    frame = curves[curves["method"] == "aranyani"]
    lambdas = sorted(frame["fairness_weight"].unique())
    wanted = [0.0, 0.1, 1.0, 10.0, 100.0] if dataset == "adult" else [0.0, 0.05, 0.5, 5.0, 100.0]
    keep = [lam for lam in wanted if lam in lambdas]
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, max(len(keep), 2)))
    styles = ["-", "--", "-.", ":", (0, (5, 1, 1, 1))]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, lam in enumerate(keep):
        sub = frame[frame["fairness_weight"] == lam].groupby("n_samples")
        for ax, col in zip(axes, ("demographic_parity_difference", "accuracy")):
            mean, std = sub[col].mean(), sub[col].std().fillna(0.0)
            ax.plot(mean.index, mean, color=colors[i], ls=styles[i % len(styles)], lw=1.5,
                    label=f"lambda = {lam:g}")
            ax.fill_between(mean.index, np.maximum(mean - std, 0.0), mean + std,
                            color=colors[i], alpha=0.15)
    axes[0].set(xlabel="samples seen", ylabel="demographic parity difference",
                title=f"{title}: DP over the stream (Aranyani)")
    axes[0].set_ylim(bottom=0)
    axes[1].set(xlabel="samples seen", ylabel="prequential accuracy",
                title=f"{title}: accuracy over the stream")
    for ax in axes:
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(keep), fontsize=8, frameon=False,
               title=f"{spread}; bands: ± sd, clipped at 0", title_fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    save_figure(fig, out_dir / "dp_over_stream")


NODE_QUANTITIES = (
    ("node_gap_aggregate_mean", "C0", r"node gap $|F_k|$ (aggregate statistics)"),
    ("node_gap_final_model_mean", "C1", "node gap, final model"),
    ("demographic_parity_difference_mean", "C3", "prediction DP (prequential)"),
    ("soft_dp_final_model_mean", "C2", r"gap in mean $P(y{=}1)$, final model"))


def _node_figure(summary, out_dir, title):
    """What the penalty controls (the node gaps) against what is measured (prediction DP):
    colour = quantity, line style = fairness gradient; two legends instead of one per pair."""
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    methods = [m for m in ("aranyani", "aranyani-huber", "aranyani-uncapped")
               if m in set(summary["method"])]
    lines = ("-", "--", ":")
    positive = summary.loc[summary["fairness_weight"] > 0, "fairness_weight"]
    for method, ls in zip(methods, lines):
        frame = summary[summary["method"] == method].sort_values("fairness_weight")
        for col, color, _ in NODE_QUANTITIES:
            ax.plot(frame["fairness_weight"], frame[col], ls=ls, color=color, marker="o", ms=3)
    # symlog: lambda = 0 stays on the axis, linear up to the smallest positive lambda
    ax.set_xscale("symlog", linthresh=float(positive.min()) if len(positive) else 1.0)
    ax.set(xlabel=r"fairness_weight $\lambda$ (symmetric log axis, 0 included)",
           ylabel="gap between groups (mean over seeds)",
           title=f"{title}: node-level vs prediction-level parity")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    quantities = ax.legend([Line2D([], [], color=c, marker="o", ms=3) for _, c, _ in
                            NODE_QUANTITIES], [lab for _, _, lab in NODE_QUANTITIES],
                           title="quantity (colour)", fontsize=7, title_fontsize=7.5,
                           loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.add_artist(quantities)
    ax.legend([Line2D([], [], color="0.3", ls=ls) for ls in lines[:len(methods)]],
              [method_style(m)["label"] for m in methods], title="fairness gradient (line)",
              fontsize=7, title_fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 0.55),
              frameon=False)
    fig.tight_layout()
    save_figure(fig, out_dir / "node_vs_prediction_parity")


for _dataset, _sensitive in (("adult", "Adult (sex)"), ("compas", "COMPAS (race)")):
    register(Experiment(
        name=f"{_dataset}-frontier",
        description=f"Aranyani forest vs baselines on {_sensitive}: accuracy/DP frontier over "
                    "lambda",
        grid=partial(_grid, _dataset), run_point=run_point,
        report=_report(_dataset, dataset_label(_dataset)), default_seeds=5, quick_seeds=2,
        protocols=PROTOCOLS,
    ))
