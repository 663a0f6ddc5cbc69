"""Groupwise regret: sleeping experts against one ridge on overlapping groups.

A synthetic stream where every sample belongs to a shape group and a colour group, and each
group has its own linear relation to the label. GroupwiseRegretRegressor (one online ridge
expert per group, mixed by AdaNormalHedge) and the baseline GroupIndicatorRidgeRegressor (one
online ridge on the features and the group indicators) predict each sample before learning it;
groupwise_regret compares, on every group's own rounds, their cumulative squared loss with the
best fixed linear predictor in hindsight. The baseline's regret grows linearly on every group
but always_on (everybody, where one ridge is the right model); the sleeping experts' regret
stays near zero or falls below it.
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from fairlearn_online import GroupwiseRegretRegressor, groupwise_regret
from fairlearn_online.datasets import make_groupwise_regression
from fairlearn_online.baselines import GroupIndicatorRidgeRegressor
from fairlearn_online.utils import save_figure

N_SAMPLES, N_FEATURES = 20_000, 10


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    data = make_groupwise_regression(N_SAMPLES, N_FEATURES, random_state=21)
    # every method (and the hindsight comparator) sees the features and the group indicators
    X = np.hstack([data.data, data.groups.to_numpy(float)])
    y, sensitive = data.target, data.sensitive_features  # columns "shape" and "colour"

    methods = {
        "GroupwiseRegretRegressor": GroupwiseRegretRegressor(y_range=(0, 1)),
        "baseline: GroupIndicatorRidgeRegressor": GroupIndicatorRidgeRegressor(y_range=(0, 1)),
    }
    curves = {}
    for name, est in methods.items():
        y_pred = est.partial_fit_predict(X, y, sensitive_features=sensitive)
        curves[name] = groupwise_regret(y, y_pred, X, sensitive_features=sensitive,
                                        n_points=200)

    groups = sorted(curves["GroupwiseRegretRegressor"]["group"].unique())
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=False)
    for ax, group in zip(axes.ravel(), groups):
        for (name, curve), style in zip(curves.items(), ["-", "--"]):
            c = curve[curve["group"] == group]
            ax.plot(c["n_group_rounds"], c["regret"], style, label=name)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set(title=f"group {group}", xlabel="rounds of the group", ylabel="regret")
    fig.suptitle(f"Regret on every group (make_groupwise_regression, {N_SAMPLES:,} rounds)")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    for name, curve in curves.items():
        end = curve.groupby("group")["regret"].last().round(2).to_dict()
        print(f"{name}: end regret {end}")
    return save_figure(fig, out_dir / Path(__file__).stem)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
