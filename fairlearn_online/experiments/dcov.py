"""``dcov-compas``: distance-covariance penalties on COMPAS with multitype protected attributes.

``docs/user_guide/dcov.md``. Protected attributes: race (categorical, all six values), sex
(binary) and
age (numeric); target ``two_year_recid``. Features: the nine COMPAS features of
:func:`~fairlearn_online.datasets.load_compas` (protected attributes included, categorical ones
one-hot), standardized on the training part. For every seed a stratified 70/30 train/test
split; a one-hidden-layer :class:`~fairlearn_online.DCovRegularizedClassifier` is trained with
no penalty and with each penalty (dcov, jdcov, ccdcov) over a sweep of ``fairness_weight``.
Test metrics: log-loss, accuracy, AUC, the Jensen-Shannon calibration measure (JSD, bits) and
the unfairness ratio (UF) over the intersectional subgroups race x sex x age quartile.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plotting import dataset_label, method_label, method_style, spread_label
from ..utils import save_figure
from ._runner import Experiment, register

PENALTIES = ("dcov", "jdcov", "ccdcov")
WEIGHTS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
#: subgroups smaller than this (in the test set) are left out of the JSD: the KDE of a handful of
#: points is spikes, a sampling-noise floor unrelated to the model (``jsd_all`` keeps them all)
MIN_GROUP = 50


def _model_params(quick):
    if quick:
        return dict(hidden_layer_sizes=(), n_epochs=5, learning_rate=0.02, batch_size=256)
    return dict(hidden_layer_sizes=(16,), n_epochs=40, learning_rate=0.01, batch_size=256)


def grid(quick, seeds):
    if quick:
        # every penalty at two weights: the quick figure has the panels of the full one
        configs = [("none", 0.0)] + [(p, w) for p in PENALTIES for w in (2.0, 20.0)]
    else:
        configs = [("none", 0.0)] + [(p, w) for p in PENALTIES for w in WEIGHTS]
    return [{"penalty": p, "fairness_weight": w, "seed": s, "quick": quick}
            for p, w in configs for s in range(seeds)]


def _compas():
    from ..datasets import load_compas

    bunch = load_compas(target="two_year_recid")
    data = bunch.data
    X = pd.get_dummies(data, columns=["sex", "age_cat", "race", "c_charge_degree"], dtype=float)
    sensitive = pd.DataFrame({"race": data["race"].astype(str), "sex": data["sex"].astype(str),
                              "age": data["age"].astype(np.int64)})
    return X.to_numpy(dtype=float), bunch.target.to_numpy(), sensitive


def run_point(point):
    import time

    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    from ..dcov import (
        DCovRegularizedClassifier,
        concatenated_distance_covariance,
        js_calibration,
        unfairness_ratio,
    )

    X, y, S = _compas()
    seed = int(point["seed"])
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=seed, stratify=y)
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    std[std == 0] = 1.0
    Xtr, Xte = (X[tr] - mean) / std, (X[te] - mean) / std
    penalty = point["penalty"]
    clf = DCovRegularizedClassifier(
        penalty="ccdcov" if penalty == "none" else penalty,
        fairness_weight=0.0 if penalty == "none" else float(point["fairness_weight"]),
        random_state=seed, **_model_params(point["quick"]))
    start = time.perf_counter()
    clf.fit(Xtr, y[tr], sensitive_features=S.iloc[tr].reset_index(drop=True))
    seconds = time.perf_counter() - start
    p = clf.predict_proba(Xte)[:, 1]
    s_te = S.iloc[te].reset_index(drop=True)
    row = {
        "log_loss": log_loss(y[te], p),
        "accuracy": accuracy_score(y[te], (p > 0.5).astype(int)),
        "auc": roc_auc_score(y[te], p),
        "jsd": js_calibration(p, s_te, min_group_size=MIN_GROUP),
        "jsd_all_groups": js_calibration(p, s_te),
        "jsd_race_sex": js_calibration(p, s_te[["race", "sex"]], min_group_size=MIN_GROUP),
        "uf": unfairness_ratio(p, s_te),
        "ccdcov_test": concatenated_distance_covariance(p, s_te),
        "train_seconds": seconds,
        "n_train": len(tr),
        "n_test": len(te),
    }
    return {"results": [row]}


METRICS = ["log_loss", "accuracy", "auc", "jsd", "jsd_all_groups", "jsd_race_sex", "uf"]


def _summary(results):
    agg = results.groupby(["penalty", "fairness_weight"])[METRICS].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    return agg.reset_index()


def report(tables, out_dir, quick):
    results = tables["results"]
    summary = _summary(results)
    summary.to_csv(out_dir / "summary.csv", index=False)
    lines = ["| penalty | lambda | log-loss | accuracy | AUC | JSD | UF |",
             "|---|---|---|---|---|---|---|"]
    for _, r in summary.iterrows():
        lines.append(
            f"| {r['penalty']} | {r['fairness_weight']:g} | {r['log_loss_mean']:.4f} | "
            f"{r['accuracy_mean']:.4f} ± {r['accuracy_std']:.4f} | {r['auc_mean']:.4f} | "
            f"{r['jsd_mean']:.4f} ± {r['jsd_std']:.4f} | {r['uf_mean']:.4f} |")
    (out_dir / "summary.md").write_text("\n".join(lines) + "\n")

    _frontier_figure(summary, results, out_dir)


def _frontier_figure(summary, results, out_dir):
    """One panel per penalty: its lambda sweep (lambda written at each point), with the
    unpenalized model as reference; one legend for the figure, under the panels."""
    base = summary[summary.penalty == "none"]
    penalties = [p for p in PENALTIES if p in set(summary.penalty)]
    n_splits = int(results["seed"].nunique())
    fig, axes = plt.subplots(1, max(len(penalties), 1), figsize=(4.2 * max(len(penalties), 1), 4.0),
                             sharey=True, sharex=True, squeeze=False)
    for ax, pen in zip(axes[0], penalties):
        style = method_style(pen)
        cur = summary[summary.penalty == pen].sort_values("fairness_weight")
        ax.errorbar(cur.jsd_mean, cur.accuracy_mean, xerr=cur.jsd_std.fillna(0),
                    yerr=cur.accuracy_std.fillna(0), color=style["color"],
                    marker=style["marker"], capsize=3, lw=1.2,
                    label=f"{style['label']} penalty (λ at each point)")
        for _, r in cur.iterrows():
            ax.annotate(f"λ={r.fairness_weight:g}", (r.jsd_mean, r.accuracy_mean), fontsize=7,
                        xytext=(4, 3), textcoords="offset points")
        if len(base):
            ref = method_style("none")
            ax.errorbar(base.jsd_mean, base.accuracy_mean, xerr=base.jsd_std.fillna(0),
                        yerr=base.accuracy_std.fillna(0), color=ref["color"], marker=ref["marker"],
                        capsize=3, label=ref["label"])
        ax.set(xlabel="JSD (bits) over race × sex × age quartile",
               title=f"{style['label']} penalty")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy")
    handles, labels = [], []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    order = sorted(range(len(labels)), key=lambda i: labels[i] == method_label("none"))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8,
               frameon=False)
    fig.suptitle(f"{dataset_label('compas')}, two-year recidivism: test accuracy vs JSD "
                 f"({spread_label(n_splits, 'split')})", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save_figure(fig, out_dir / "frontier_accuracy_jsd")


register(Experiment(
    name="dcov-compas",
    description="dCov / JdCov / CCdCov penalties on COMPAS (race x sex x age): accuracy vs JSD",
    grid=grid, run_point=run_point, report=report, default_seeds=5, quick_seeds=2,
))
