"""``dcov-compas-study``: how far the CCdCov penalty can cut the JSD on COMPAS, and at what cost.

The question of ``dcov-compas``'s target (a JSD cut of at least 5x for at most 2 accuracy
points) asked of every training protocol, next to two post-processing references that are not
penalties. Data, split, features, protected attributes and metrics are those of ``dcov-compas``
(COMPAS, race x sex x age, stratified 70/30 splits, JSD over race x sex x age quartile with
subgroups of at least 50 test rows).

Protocols (every one with ``penalty="ccdcov"``, a sweep of ``fairness_weight`` including 0, and its
cut and accuracy loss measured against its *own* unpenalized run on the same split):
the ``dcov-compas`` model; the same with the rows reshuffled every epoch; the linear model; wider
hidden layers with more weight decay; a smaller learning rate for more epochs; larger batches,
up to the whole training set (a better estimate of the dependence at every step). One
diagnostic protocol departs from the issue's attributes: the batch-2048 one with the penalty
told the JSD's own subgroups (age cut at the training quartiles and passed as a categorical
attribute instead of numeric age), to measure what the mismatch between a penalty on continuous
age and a JSD over age quartiles costs.
Every penalized point also records the accuracy at the decision threshold that maximizes the
training accuracy (the penalty may leave the probabilities off-centre; it does not, see the docs).

References, applied to the unpenalized ``dcov-compas`` model's scores, with the subgroups
(race x sex x training age quartile, and again with 16 training age bins, closer to the
independence from continuous age that the penalty asks for) and every mapping fitted on the
training rows only:

(the library's :func:`fairlearn_online.dcov.quantile_repair` and
:func:`fairlearn_online.dcov.group_thresholds_side_alignment`)

``quantile repair``
    each subgroup's score distribution mapped onto the pooled one (the Wasserstein-barycenter
    repair), mixed as ``(1 - t) p + t aligned(p)``.
``group thresholds + side alignment``
    each subgroup gets its own threshold, moving its selection rate from its own to the pooled one
    by the fraction ``t``; then the scores on each side of the decision are mapped onto the pooled
    scores of that side of 0.5, so the decisions are kept exactly and the score distributions of
    the subgroups differ only through their selection rates.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..dcov import group_thresholds_side_alignment, quantile_repair
from ..plotting import dataset_label, method_label, spread_label
from ..utils import save_figure
from ._runner import Experiment, register
from .dcov import MIN_GROUP, _compas

#: the protocol whose penalty is given age in training quartiles (categorical), the JSD's subgroups
AGE_QUARTILE_PROTOCOL = ("(64,), alpha 1e-3, reshuffled, batch 2048, lr 0.02, 200 epochs, "
                         "penalty on age quartiles")
_BATCH_2048 = dict(hidden_layer_sizes=(64,), alpha=1e-3, n_epochs=200, learning_rate=0.02,
                   batch_size=2048, shuffle=True)
#: name -> DCovRegularizedClassifier parameters (penalty ccdcov, fairness_weight from the sweep)
PROTOCOLS = {
    "(16,), 40 epochs (dcov-compas)": dict(hidden_layer_sizes=(16,), n_epochs=40),
    "(16,), reshuffled": dict(hidden_layer_sizes=(16,), n_epochs=40, shuffle=True),
    "linear, reshuffled": dict(hidden_layer_sizes=(), n_epochs=40, shuffle=True),
    "(64,), alpha 1e-3, reshuffled": dict(hidden_layer_sizes=(64,), alpha=1e-3, n_epochs=40,
                                          shuffle=True),
    "(256,), alpha 1e-3, reshuffled": dict(hidden_layer_sizes=(256,), alpha=1e-3, n_epochs=40,
                                           shuffle=True),
    "(64,), alpha 1e-3, reshuffled, lr 0.003, 80 epochs": dict(
        hidden_layer_sizes=(64,), alpha=1e-3, n_epochs=80, learning_rate=0.003, shuffle=True),
    "(64,), alpha 1e-3, reshuffled, batch 1024, lr 0.02, 120 epochs": dict(
        hidden_layer_sizes=(64,), alpha=1e-3, n_epochs=120, learning_rate=0.02, batch_size=1024,
        shuffle=True),
    "(64,), alpha 1e-3, reshuffled, batch 2048, lr 0.02, 200 epochs": _BATCH_2048,
    # one step per epoch on all 4,320 training rows: the exact training-set penalty
    "(64,), alpha 1e-3, full batch, lr 0.02, 400 epochs": dict(
        hidden_layer_sizes=(64,), alpha=1e-3, n_epochs=400, learning_rate=0.02,
        batch_size=1_000_000),
    # diagnostic, not the protocol: the penalty sees age quartiles, not numeric age
    AGE_QUARTILE_PROTOCOL: _BATCH_2048,
}
QUICK_PROTOCOL = {"linear, 5 epochs (quick)": dict(hidden_layer_sizes=(), n_epochs=5,
                                                   learning_rate=0.02)}
WEIGHTS = (0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0)
MIXES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
REFERENCES = ("quantile repair", "group thresholds + side alignment")
#: age bins of the references' subgroups: the JSD's quartiles, and finer bins closer to the
#: independence from continuous age that the penalty asks for
REFERENCE_AGE_BINS = (4, 16)
#: the target of the dcov-compas issue: JSD cut >= 5x at an accuracy loss <= 2 points
TARGET_CUT, TARGET_LOSS = 5.0, 2.0


def grid(quick, seeds):
    if quick:
        protocols, weights = QUICK_PROTOCOL, (0.0, 10.0)
    else:
        protocols, weights = PROTOCOLS, WEIGHTS
    points = [{"kind": "penalty", "protocol": name, "fairness_weight": w, "seed": s,
               "quick": quick} for name in protocols for w in weights for s in range(seeds)]
    points += [{"kind": "reference", "protocol": "references", "fairness_weight": 0.0, "seed": s,
                "quick": quick} for s in range(seeds)]
    return points


def _split(seed):
    from sklearn.model_selection import train_test_split

    X, y, S = _compas()
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=seed, stratify=y)
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    std[std == 0] = 1.0
    return ((X[tr] - mean) / std, y[tr], S.iloc[tr].reset_index(drop=True),
            (X[te] - mean) / std, y[te], S.iloc[te].reset_index(drop=True))


def age_bins(S_train, S_test, numeric_bins=4):
    """Age-quantile bin (0, 1, ...) of every row, the edges fitted on the training rows only."""
    _, edges = pd.qcut(S_train["age"], numeric_bins, retbins=True, duplicates="drop")
    edges[0], edges[-1] = -np.inf, np.inf
    return tuple(pd.cut(S["age"], edges, labels=False).to_numpy() for S in (S_train, S_test))


def subgroup_codes(S_train, S_test, numeric_bins=4):
    """Race x sex x age-quantile codes, the age bins fitted on the training rows only."""
    bins_train, bins_test = age_bins(S_train, S_test, numeric_bins)

    def key(S, age_bin):
        return (S["race"].astype(str) + "|" + S["sex"].astype(str) + "|"
                + pd.Series(age_bin, index=S.index).astype(str))

    k_train, k_test = key(S_train, bins_train), key(S_test, bins_test)
    cats = pd.Index(sorted(set(k_train) | set(k_test)))
    return cats.get_indexer(k_train), cats.get_indexer(k_test)


def _best_training_threshold(p, y):
    """Threshold maximizing the training accuracy of ``p > threshold``."""
    order = np.argsort(p)
    ps, ys = p[order], y[order]
    correct = np.cumsum(1 - ys) + (ys.sum() - np.cumsum(ys))  # rows <= ps[i] predicted 0
    i = int(np.argmax(correct))
    return ps[i] if np.sum(ys == 0) else 0.5


def run_point(point):
    from sklearn.metrics import accuracy_score, roc_auc_score

    from ..dcov import DCovRegularizedClassifier, js_calibration

    seed = int(point["seed"])
    Xtr, ytr, Str, Xte, yte, Ste = _split(seed)
    quick = point["quick"]

    def metrics(scores):
        return {"accuracy": accuracy_score(yte, scores > 0.5),
                "jsd": js_calibration(scores, Ste, min_group_size=MIN_GROUP)}

    if point["kind"] == "penalty":
        params = (QUICK_PROTOCOL if quick else PROTOCOLS)[point["protocol"]]
        clf = DCovRegularizedClassifier(penalty="ccdcov",
                                        fairness_weight=float(point["fairness_weight"]),
                                        random_state=seed, **params)
        S_penalty = Str
        if point["protocol"] == AGE_QUARTILE_PROTOCOL:
            S_penalty = Str.assign(age=[f"age bin {b}" for b in age_bins(Str, Ste)[0]])
        clf.fit(Xtr, ytr, sensitive_features=S_penalty)
        p = clf.predict_proba(Xte)[:, 1]
        threshold = _best_training_threshold(clf.predict_proba(Xtr)[:, 1], ytr)
        row = {"method": "ccdcov penalty", "mix": np.nan, **metrics(p),
               "accuracy_tuned_threshold": accuracy_score(yte, p > threshold),
               "tuned_threshold": threshold, "auc": roc_auc_score(yte, p)}
        return {"results": [row]}

    protocols = QUICK_PROTOCOL if quick else PROTOCOLS
    base = DCovRegularizedClassifier(penalty="ccdcov", fairness_weight=0.0, random_state=seed,
                                     **protocols[next(iter(protocols))])  # the dcov-compas model
    base.fit(Xtr, ytr, sensitive_features=Str)
    p_train, p = base.predict_proba(Xtr)[:, 1], base.predict_proba(Xte)[:, 1]
    rows = [{"method": "unpenalized", "mix": np.nan, **metrics(p)}]
    repairs = dict(zip(REFERENCES, (quantile_repair, group_thresholds_side_alignment)))
    for bins in REFERENCE_AGE_BINS:
        g_train, g = subgroup_codes(Str, Ste, numeric_bins=bins)
        for t in ((0.0, 0.5) if quick else MIXES):
            for name, repair in repairs.items():
                rows.append({"method": reference_name(name, bins), "mix": t,
                             **metrics(repair(p_train, g_train, p, g, t))})
    return {"results": rows}


def reference_name(method, n_age_bins=4):
    """``method`` with age quartiles (the JSD's subgroups), ``method, N age bins`` otherwise."""
    return method if n_age_bins == 4 else f"{method}, {n_age_bins} age bins"


def _relative(results):
    """JSD cut and accuracy loss of every row against its own unpenalized run (same seed)."""
    res = results.reset_index(drop=True)
    is_base = ((res.method == "ccdcov penalty") & (res.fairness_weight == 0)) | (
        res.method == "unpenalized")
    base = res.loc[is_base, ["protocol", "seed", "accuracy", "jsd"]].rename(
        columns={"accuracy": "accuracy_base", "jsd": "jsd_base"})
    res = res.loc[~is_base].merge(base, on=["protocol", "seed"], how="left", validate="m:1")
    res["accuracy_loss_points"] = 100 * (res.accuracy_base - res.accuracy)
    return res


def summarize(results):
    """Mean over seeds per (protocol, method, lambda or t); the cut is of the mean JSDs."""
    res = _relative(results)
    res["setting"] = np.where(res.method == "ccdcov penalty", res.fairness_weight, res.mix)
    keys = ["protocol", "method", "setting"]
    agg = res.groupby(keys, sort=False).agg(
        accuracy=("accuracy", "mean"), accuracy_std=("accuracy", "std"),
        accuracy_base=("accuracy_base", "mean"), jsd=("jsd", "mean"), jsd_std=("jsd", "std"),
        jsd_base=("jsd_base", "mean"), accuracy_loss_points=("accuracy_loss_points", "mean"),
        accuracy_tuned_threshold=("accuracy_tuned_threshold", "mean"),
        n_seeds=("seed", "nunique")).reset_index()
    agg["jsd_cut"] = agg.jsd_base / agg.jsd
    agg["meets_target"] = (agg.jsd_cut >= TARGET_CUT) & (agg.accuracy_loss_points <= TARGET_LOSS)
    return agg


def report(tables, out_dir, quick):
    summary = summarize(tables["results"])
    summary.to_csv(out_dir / "summary.csv", index=False)
    lines = ["| protocol / reference | lambda or t | accuracy (own base) | JSD (own base) | "
             "JSD cut | accuracy loss (points) | tuned-threshold accuracy |",
             "|---|---|---|---|---|---|---|"]
    for _, r in summary.iterrows():
        name = r.protocol if r.method == "ccdcov penalty" else f"reference: {r.method}"
        tuned = "" if np.isnan(r.accuracy_tuned_threshold) else f"{r.accuracy_tuned_threshold:.4f}"
        mark = " **(target met)**" if r.meets_target else ""
        lines.append(f"| {name} | {r.setting:g} | {r.accuracy:.4f} ({r.accuracy_base:.4f}) | "
                     f"{r.jsd:.4f} ({r.jsd_base:.4f}) | {r.jsd_cut:.1f}x | "
                     f"{r.accuracy_loss_points:.2f}{mark} | {tuned} |")
    best = []
    for (protocol, method), cur in summary.groupby(["protocol", "method"], sort=False):
        hits = cur[cur.jsd_cut >= TARGET_CUT]
        name = protocol if method == "ccdcov penalty" else f"reference: {method}"
        if len(hits):
            h = hits.loc[hits.accuracy_loss_points.idxmin()]
            best.append(f"| {name} | {h.setting:g} | {h.jsd_cut:.1f}x | "
                        f"{h.accuracy_loss_points:.2f} | {'yes' if h.meets_target else 'no'} |")
        else:
            best.append(f"| {name} | - | max {cur.jsd_cut.max():.1f}x | - | no |")
    lines += ["", f"Cheapest setting with a JSD cut >= {TARGET_CUT:g}x (target: loss <= "
              f"{TARGET_LOSS:g} points):", "",
              "| protocol / reference | lambda or t | JSD cut | accuracy loss (points) "
              "| target met |",
              "|---|---|---|---|---|", *best]
    (out_dir / "summary.md").write_text("\n".join(lines) + "\n")

    fig, ax = plt.subplots(figsize=(11.5, 5.2))
    palette = iter([c for i, c in enumerate(plt.cm.tab10.colors) if i not in (3, 7)]
                   + ["navy", "darkgreen", "darkorange"])
    colors = {"quantile repair": "black", "group thresholds + side alignment": "tab:red"}
    penalized, references = [], []
    for (protocol, method), cur in summary.groupby(["protocol", "method"], sort=False):
        cur = cur.sort_values("setting")
        if method == "ccdcov penalty":
            if protocol == AGE_QUARTILE_PROTOCOL:  # the diagnostic stands apart
                style = dict(marker="D", linestyle="-.", linewidth=2, color="magenta")
            else:
                style = dict(marker="o", linestyle="-", linewidth=1.2, color=next(palette))
            label, bucket = protocol, penalized
        else:
            base = method.split(",")[0]
            fine = method != base
            style = dict(marker="s", linestyle=":" if fine else "--", linewidth=2,
                         color=colors[base], alpha=0.6 if fine else 1.0)
            label, bucket = method, references
        bucket.append(ax.plot(cur.jsd_cut, cur.accuracy_loss_points, label=label, **style)[0])
    x_hi = max(10.0, float(np.nanmax(summary.jsd_cut)) * 1.05)
    references.append(ax.fill_between(
        [TARGET_CUT, x_hi], -1.0, TARGET_LOSS, color="tab:green", alpha=0.12,
        label=f"target: cut >= {TARGET_CUT:g}x, loss <= {TARGET_LOSS:g} points"))
    runs = spread_label(int(summary.n_seeds.max()), "split", "mean")
    ax.set(xlabel="JSD cut vs own unpenalized run (x)", ylabel="accuracy loss (points)",
           title=f"{dataset_label('compas')}, race × sex × age: what a JSD cut costs "
                 f"({method_label('ccdcov')} penalty vs references, {runs})",
           xlim=(1, x_hi))
    ax.set_ylim(bottom=-0.5)
    ax.grid(alpha=0.3)
    # two legends under the axes, so the plot keeps the figure's full width
    fig.tight_layout()
    for handles, x, title in (
            (penalized, 0.0, f"{method_label('ccdcov')} penalty, sweep of λ (protocol)"),
            (references, 0.62, "post-processing references, sweep of the mix t")):
        fig.legend(handles=handles, fontsize=7, loc="upper left", frameon=False,
                   bbox_to_anchor=(x, -0.11), bbox_transform=ax.transAxes,
                   title=title, title_fontsize=8, alignment="left")
    save_figure(fig, out_dir / "jsd_cut_vs_accuracy_loss")


register(Experiment(
    name="dcov-compas-study",
    description="CCdCov on COMPAS: JSD cut vs accuracy loss of every training protocol, "
                "with post-processing references (the 5x-at-2-points question)",
    grid=grid, run_point=run_point, report=report, default_seeds=10, quick_seeds=1,
))
