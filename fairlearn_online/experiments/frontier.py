"""``frontier``: every classifier of the library on one accuracy-vs-parity figure, with the limit.

On Adult (protected attribute sex) and COMPAS (White vs. non-White), under the Aranyani protocol
(:func:`~fairlearn_online.datasets.load_stream`, one prequential pass per stream order), each
method sweeps its ``fairness_weight``:

* ``aranyani`` (``docs/user_guide/forest.md``, the paper's fairness gradient on node decisions) and
  ``aranyani-output`` (the same aggregate-gradient penalty on the forest's output);
* ``fair-logistic``: an online logistic model with the same aggregate fairness gradient;
* ``dcov-logistic``: :class:`~fairlearn_online.DCovRegularizedClassifier` (docs/user_guide/dcov.md)
  with the dCov penalty between its predicted probability and the protected attribute, trained
  on mini-batches of 32 in the same single prequential pass;
* reference points without fairness: majority class, ``SGDClassifier(loss="log_loss")`` one
  sample at a time, river's Hoeffding tree (when the ``baselines`` extra is installed).

Two references are drawn (:func:`fairlearn_online.frontier.postprocessing_limit`): the
optimal fair post-processing of an offline boosted model, cross-fitted (fitted on one half,
evaluated on the other: out of sample, attainable, comparable with prequential accuracy), and
the LP optimum over 20 quantile cells of its out-of-fold score times the group (in-sample,
tighter). The bounds below (:mod:`fairlearn_online.optimum`, docs/user_guide/optimum.md)
are kept in ``limits.csv`` only (the first, loose, is not drawn):

* ``limit (Z, Y)``: the largest accuracy of ANY classifier whose demographic-parity difference is
  at most eps. Every classifier induces a channel Q(Yhat | Z, Y); the best channel under the
  parity bound is an LP over the data's (Z, Y) distribution, so no model can lie above this curve.
* ``offline post-processing``: the best randomized post-processing of an offline gradient-boosting
  score (20 quantile cells x the protected attribute, fitted and evaluated in-sample) under the
  same bound: what a strong offline model can reach, a tighter, attainable reference.
"""

from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..datasets import load_stream
from ..evaluate import prequential
from ..plotting import dataset_label, plot_frontier, spread_label, summarize_over_seeds
from ..utils import save_figure
from . import aranyani
from ._methods import make_estimator, requirements
from ._runner import Experiment, available_methods, register

DATASETS = ("adult", "compas")
FULL_GRID = {
    "adult": {
        "aranyani": [0.0, 1.0, 10.0, 100.0, 1000.0, 3000.0, 10000.0],
        "aranyani-output": [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
        "fair-logistic": [0.0, 1.0, 10.0, 100.0, 1000.0, 3000.0, 10000.0],
        "dcov-logistic": [0.0, 1.0, 3.0, 10.0, 30.0, 100.0],
    },
    "compas": {
        "aranyani": [0.0, 0.05, 0.5, 5.0, 100.0, 1000.0],
        "aranyani-output": [0.1, 0.3, 1.0, 3.0, 10.0, 30.0],
        "fair-logistic": [0.0, 0.05, 0.5, 5.0, 100.0, 1000.0],
        "dcov-logistic": [0.0, 1.0, 3.0, 10.0, 30.0, 100.0],
    },
}
QUICK_GRID = {
    "adult": {"aranyani": [0.0, 1000.0], "aranyani-output": [1.0, 10.0],
              "fair-logistic": [0.0, 1000.0], "dcov-logistic": [0.0, 30.0]},
    "compas": {"aranyani": [0.0, 100.0], "aranyani-output": [1.0, 10.0],
               "fair-logistic": [0.0, 100.0], "dcov-logistic": [0.0, 30.0]},
}
PLAIN_METHODS = ("majority", "sgd-log-loss", "hoeffding-tree", "faht")
RIVER_METHODS = requirements(PLAIN_METHODS)


def grid(quick, seeds):
    plain = ["majority"] if quick else available_methods(PLAIN_METHODS, requires=RIVER_METHODS)
    points = []
    for dataset in DATASETS:
        sweep = (QUICK_GRID if quick else FULL_GRID)[dataset]
        for seed in range(seeds):
            for method, weights in sweep.items():
                points += [dict(dataset=dataset, method=method, fairness_weight=w, seed=seed)
                           for w in weights]
            points += [dict(dataset=dataset, method=m, fairness_weight=np.nan, seed=seed)
                       for m in plain]
    return points


def run_point(point):
    """One prequential pass of one method and fairness weight on one stream order."""
    X, y, groups = load_stream(point["dataset"], random_state=point["seed"])
    lam = point["fairness_weight"]
    est = make_estimator(point["method"], 0.0 if np.isnan(lam) else float(lam), point["seed"],
                         dataset=point["dataset"])
    curve = prequential(est, X, y, sensitive_features=groups, every=len(y), progress=False)
    last = curve.iloc[-1]
    return {"results": [{
        "accuracy": float(last["accuracy"]),
        "demographic_parity_difference": float(last["demographic_parity_difference"]),
        "equalized_odds_difference": float(last["equalized_odds_difference"]),
        "n_samples": int(last["n_samples"]),
    }]}


def zy_bound(dataset, n_points=21):
    """The LP over the data's (Z, Y) cells: the best accuracy of a classifier that may see the
    label, at each DP bound. Loose (0.935-1.0 on Adult): written to ``limits.csv`` and
    discussed in the docs, not drawn."""
    from ..optimum import fairness_limit_curve

    X, y, groups = load_stream(dataset)
    z = (groups == groups[0]).astype(np.int64)
    curve = fairness_limit_curve(np.column_stack([y, z]), z, y,
                                 constraint="demographic_parity", n_points=n_points)
    curve = curve.rename(columns={"disparity": "demographic_parity_difference"})
    return curve.assign(limit="LP over (Z, Y): a classifier that sees the label")


def limit_curves(dataset, n_points=16):
    """The drawn references of ``dataset`` (out-of-sample post-processing, in-sample LP over
    cells; :func:`fairlearn_online.experiments.aranyani.limit_curves`) and the (Z, Y) bound."""
    curves = aranyani.limit_curves(dataset, "shuffled", n_points=n_points)
    return pd.concat([curves, zy_bound(dataset, n_points)], ignore_index=True)


def report(tables, out_dir, quick):
    results = tables["results"]
    summary = summarize_over_seeds(results, by=["dataset", "method", "fairness_weight"], metrics=[
        "accuracy", "demographic_parity_difference", "equalized_odds_difference"])
    summary.to_csv(out_dir / "summary.csv", index=False)
    limits = []
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2))
    for ax, dataset in zip(axes, DATASETS):
        curves = limit_curves(dataset, n_points=6 if quick else 16)
        limits.append(curves.assign(dataset=dataset))
        n_orders = int(results["seed"].nunique())
        plot_frontier(results[results["dataset"] == dataset], ax=ax,
                      title=f"{dataset_label(dataset)}: prequential accuracy vs parity "
                            f"({spread_label(n_orders, 'stream order')})",
                      xlabel="demographic parity difference (prequential)",
                      ylabel="prequential accuracy")
        aranyani.draw_limits(ax, curves[~curves["limit"].str.startswith("LP over (Z, Y)")])
        top = results.loc[results["dataset"] == dataset, "demographic_parity_difference"].max()
        ax.set_xlim(-0.01, max(0.25, 1.1 * top))
        models = results[(results["dataset"] == dataset) & (results["method"] != "majority")]
        drawn = curves[~curves["limit"].str.startswith("LP over (Z, Y)")]
        bottom = models["accuracy"].min() - 0.01
        ax.set_ylim(bottom, max(models["accuracy"].max(), drawn["accuracy"].max()) + 0.01)
        major = results[(results["dataset"] == dataset) & (results["method"] == "majority")]
        if len(major) and major["accuracy"].mean() < bottom:  # otherwise it is drawn
            ax.text(0.99, 0.01, f"majority class below the axis: accuracy "
                    f"{major['accuracy'].mean():.3f}", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=7, color="0.3")
        ax.get_legend().remove()
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    save_figure(fig, out_dir / "frontier")
    limits = pd.concat(limits, ignore_index=True)
    limits.to_csv(out_dir / "limits.csv", index=False)
    aranyani.write_limit_vs_best(summary, limits, out_dir)


register(Experiment(
    name="frontier",
    description="Every classifier on one accuracy-vs-DP figure per data set, with the convex limit",
    grid=grid, run_point=run_point, report=report, default_seeds=5, quick_seeds=1,
))
