"""``adult-baselines``: reference classifiers, prequential on Adult.

The reference points of ``docs/user_guide/forest.md`` ("Reproduced results"): majority class
(about .759), scikit-learn's ``SGDClassifier(loss="log_loss")`` trained one sample at a time
(about .766), FAHT (:class:`~fairlearn_online.baselines.FAHTClassifier`, the protected group
``Female``) and the same Hoeffding tree with the plain information gain
(``split_criterion="info_gain"``), with the demographic-parity difference between sexes over the
stream.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..datasets import load_stream
from ..evaluate import prequential
from ..plotting import method_style, spread_label, summarize_over_seeds
from ..utils import save_figure
from ._methods import make_estimator
from ._runner import Experiment, register
from ._tables import summary_markdown

METHODS = ("majority", "sgd-log-loss", "faht", "faht-info-gain")


def grid(quick, seeds):
    return [{"method": m, "seed": s} for m in METHODS for s in range(seeds)]


def run_point(point):
    X, y, sex = load_stream("adult", random_state=point["seed"])
    if point.get("n_samples"):
        X, y, sex = X[: point["n_samples"]], y[: point["n_samples"]], sex[: point["n_samples"]]
    curve = prequential(make_estimator(point["method"], seed=point["seed"]), X, y,
                        sensitive_features=sex, every=500, progress=False)
    last = curve.iloc[-1]
    result = {"accuracy": last["accuracy"],
              "demographic_parity_difference": last["demographic_parity_difference"],
              "equalized_odds_difference": last["equalized_odds_difference"],
              "n_samples": int(last["n_samples"])}
    curves = curve[["n_samples", "accuracy", "demographic_parity_difference"]].to_dict("records")
    return {"results": [result], "curves": curves}


def report(tables, out_dir, quick):
    results, curves = tables["results"], tables["curves"]
    metrics = [m for m in ("accuracy", "demographic_parity_difference",
                           "equalized_odds_difference") if m in results]
    summary = summarize_over_seeds(results, by=["method"], metrics=metrics)
    summary.to_csv(out_dir / "summary.csv", index=False)
    (out_dir / "summary.md").write_text(summary_markdown(summary))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for method, frame in curves.groupby("method"):
        stats = frame.groupby("n_samples")[["accuracy", "demographic_parity_difference"]]
        mean, std = stats.mean(), stats.std().fillna(0.0)
        for ax, col in zip(axes, ["accuracy", "demographic_parity_difference"]):
            style = method_style(method)
            ax.plot(mean.index, mean[col], color=style["color"], label=style["label"])
            ax.fill_between(mean.index, (mean[col] - std[col]).clip(lower=0.0),
                            mean[col] + std[col], color=style["color"], alpha=0.25)
    axes[0].set(xlabel="samples seen", ylabel="prequential accuracy", title="Adult: accuracy")
    axes[1].set(xlabel="samples seen", ylabel="DP difference (sex)",
                title="Adult: demographic parity")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    runs = spread_label(results["seed"].nunique(), "stream order")
    fig.suptitle(f"Prequential baselines ({runs}; bands: ± sd, clipped at 0)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save_figure(fig, out_dir / "running_metrics")


register(Experiment(
    name="adult-baselines",
    description="Majority class, online SGD logistic regression, FAHT and its plain-IG Hoeffding "
                "tree, prequential on Adult",
    grid=grid, run_point=run_point, report=report, default_seeds=5, quick_seeds=2,
))
