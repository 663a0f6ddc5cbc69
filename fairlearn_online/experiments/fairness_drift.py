"""``fairness-drift``: monitoring the demographic parity of an online model on drifting streams.

An online logistic model (:class:`~fairlearn_online.baselines.OnlineFairLogisticClassifier`,
no fairness penalty) is run prequentially on streams whose label gap between two groups
changes at known times: the three synthetic drifts of
:func:`~fairlearn_online.datasets.make_fairness_drift_stream` (abrupt, gradual, recurring) and
Adult (two shuffled passes) with an injected drift (after the change point 20% of the women's
labels are set to ``>50K``). Its predictions feed a windowed
:class:`~fairlearn_online.metrics.StreamingMetricFrame` (DP difference with its Newcombe 95%
interval), a cumulative one (the DP that hides the drift) and a
:class:`~fairlearn_online.metrics.FairnessDriftDetector`. Tables: detection delay and false
alarms per stream and seed; figure: the windowed DP with its band, the cumulative DP, the true
label gap, the change points and the alarms (``docs/user_guide/monitoring.md``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter
import numpy as np
import pandas as pd

from ..datasets import load_stream, make_fairness_drift_stream
from ..evaluate import prequential
from ..metrics import FairnessDriftDetector, StreamingMetricFrame
from ..utils import save_figure
from ._runner import Experiment, register

STREAMS = ("abrupt", "gradual", "recurring", "adult")
EVERY = 1000


def grid(quick, seeds):
    n = 60_000 if quick else 200_000
    return [{"stream": s, "seed": k, "n_samples": n} for s in STREAMS for k in range(seeds)]


def _data(point):
    n, seed = point["n_samples"], point["seed"]
    if point["stream"] != "adult":
        d = make_fairness_drift_stream(n, drift=point["stream"], gap_after=0.2,
                                       random_state=seed)
        return d.X, d.y, d.sensitive_features, d.gap, d.change_points
    passes = [load_stream("adult", random_state=seed + 1000 * k) for k in range(2)]
    X = np.vstack([p[0] for p in passes])
    y = np.concatenate([np.asarray(p[1]) for p in passes]).astype(np.int64)
    sex = np.concatenate([np.asarray(p[2]) for p in passes]).astype(object)
    change = 40_000
    rng = np.random.default_rng(seed)
    women = np.array([str(s).strip().lower() in ("female", "f", "0") for s in sex])
    inject = (np.arange(len(y)) >= change) & women & (rng.random(len(y)) < 0.2)
    y = np.where(inject, 1, y)
    return X, y, sex, np.full(len(y), np.nan), [change]


def run_point(point):
    from ..baselines import OnlineFairLogisticClassifier

    X, y, groups, gap, change_points = _data(point)
    window = 5000
    model = OnlineFairLogisticClassifier(learning_rate=0.01)
    curve, y_pred = prequential(model, X, y, sensitive_features=groups, every=EVERY,
                                return_predictions=True, progress=False)
    windowed = StreamingMetricFrame("selection_rate", window=window)
    cumulative = StreamingMetricFrame("selection_rate")
    detector = FairnessDriftDetector()
    curves = []
    for a in range(0, len(y), EVERY):
        part = slice(a, a + EVERY)
        windowed.update(y[part], y_pred[part], sensitive_features=groups[part])
        cumulative.update(y[part], y_pred[part], sensitive_features=groups[part])
        detector.update(None, y_pred[part], sensitive_features=groups[part])
        band = windowed.difference_interval("selection_rate")
        t = min(a + EVERY, len(y))
        curves.append({"n_samples": t, "windowed_dp": band["value"], "lower": band["lower"],
                       "upper": band["upper"], "cumulative_dp": cumulative.difference(),
                       "true_gap": float(abs(gap[t - 1])),
                       "accuracy": float(curve["accuracy"].iloc[len(curves)])})
    alarms = [a["n_samples"] for a in detector.alarms_]
    first = change_points[0]
    after = [t for t in alarms if t > first]
    result = {"change_points": " ".join(map(str, change_points)),
              "alarms": " ".join(map(str, alarms)),
              "false_alarms_before_change": sum(t <= first for t in alarms),
              "detected": bool(after),
              "delay": (after[0] - first) if after else np.nan,
              "final_cumulative_dp": curves[-1]["cumulative_dp"],
              "final_windowed_dp": curves[-1]["windowed_dp"],
              "accuracy": float(curve["accuracy"].iloc[-1])}
    return {"results": [result], "curves": curves,
            "alarms": [{"n_samples": t} for t in alarms]}


def report(tables, out_dir, quick):
    results, curves = tables["results"], tables["curves"]
    summary = results.groupby("stream").agg(
        detected=("detected", "mean"), median_delay=("delay", "median"),
        false_alarms_before_change=("false_alarms_before_change", "mean"),
        final_cumulative_dp=("final_cumulative_dp", "mean"),
        final_windowed_dp=("final_windowed_dp", "mean"), seeds=("seed", "count"))
    summary = summary.reindex([s for s in STREAMS if s in summary.index])
    summary.to_csv(out_dir / "summary.csv")
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharey=False)
    alarms = tables.get("alarms", pd.DataFrame(columns=["n_samples", "stream", "seed"]))
    for ax, stream in zip(axes.ravel(), STREAMS):
        c = curves[(curves["stream"] == stream) & (curves["seed"] == 0)]
        if c.empty:
            ax.set_visible(False)
            continue
        x = c["n_samples"]
        ax.fill_between(x, c["lower"], c["upper"], color="C0", alpha=0.25,
                        label="95% interval (Newcombe)")
        ax.plot(x, c["windowed_dp"], color="C0", label="DP, last 5,000 events")
        ax.plot(x, c["cumulative_dp"], color="C1", label="DP, cumulative")
        if c["true_gap"].notna().any():
            ax.plot(x, c["true_gap"], color="k", ls="--", lw=1, label="label gap (true)")
        r = results[(results["stream"] == stream) & (results["seed"] == 0)].iloc[0]
        for cp in str(r["change_points"]).split():
            ax.axvline(int(cp), color="0.5", lw=1, ls=":")
        a = alarms[(alarms["stream"] == stream) & (alarms["seed"] == 0)] if len(alarms) else []
        if len(a):
            ax.plot(a["n_samples"], np.full(len(a), ax.get_ylim()[1] * 0.95), "v", color="C3",
                    ms=8, label="alarm")
        ax.set(title=f"{stream} drift" if stream != "adult" else "Adult, injected drift",
               xlabel="events (thousands)", ylabel="DP difference of predictions")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}"))
    axes.ravel()[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    save_figure(fig, out_dir / "fairness_drift")


register(Experiment(
    name="fairness-drift",
    description="Windowed DP with intervals, drift alarms and cumulative DP on drifting streams",
    grid=grid, run_point=run_point, report=report, default_seeds=5, quick_seeds=1,
))
