"""Prequential evaluation and streaming fairness metrics on the COMPAS stream.

evaluate.prequential predicts every sample before learning it and reports running metrics
every 250 samples. Three learners read the same COMPAS stream (race as White / non-White):
the majority-class baseline, scikit-learn's SGDClassifier (any estimator with partial_fit
works) and an AranyaniClassifier. The running accuracy (left) and, for SGDClassifier, the
running selection rate of each group from the default FairnessReport (middle). Cumulative
metrics hide drift, so the right panel adds the demographic-parity difference of each window of
500 predictions, computed with the batch function, next to the cumulative one; a streaming
DemographicParityDifference fed window by window gives the same final value as the batch
function on all predictions.
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import SGDClassifier

from fairlearn_online import AranyaniClassifier
from fairlearn_online.baselines import MajorityClassClassifier
from fairlearn_online.datasets import load_stream
from fairlearn_online.evaluate import prequential
from fairlearn_online.metrics import (DemographicParityDifference,
                                      demographic_parity_difference)
from fairlearn_online.utils import save_figure

WINDOW = 500


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    X, y, race = load_stream("compas", random_state=0)  # 6,172 rows, target is_recid
    learners = {
        "majority class": MajorityClassClassifier(),
        "SGDClassifier (log loss)": SGDClassifier(loss="log_loss", random_state=0),
        "AranyaniClassifier": AranyaniClassifier(random_state=0),
    }
    curves, predictions = {}, {}
    for name, est in learners.items():
        curves[name], predictions[name] = prequential(
            est, X, y, sensitive_features=race, every=250, return_predictions=True,
            progress=False)

    fig, (ax_acc, ax_sel, ax_dp) = plt.subplots(1, 3, figsize=(13, 3.8))
    for name, curve in curves.items():
        ax_acc.plot(curve["n_samples"], curve["accuracy"], label=name)
    ax_acc.set(xlabel="samples seen", ylabel="prequential accuracy", title="Running accuracy")
    ax_acc.legend(fontsize=8)

    sgd = curves["SGDClassifier (log loss)"]
    for group in np.unique(race):
        ax_sel.plot(sgd["n_samples"], sgd[f"selection_rate[{group}]"], label=group)
    ax_sel.set(xlabel="samples seen", ylabel="running selection rate",
               title="SGDClassifier: selection rate by race")
    ax_sel.legend(title="race", fontsize=8)

    # recent windows next to the cumulative value, for the same predictions
    y_pred = predictions["SGDClassifier (log loss)"]
    streaming = DemographicParityDifference()
    ends, window_dp, cumulative_dp = [], [], []
    for start in range(0, len(y), WINDOW):
        w = slice(start, min(start + WINDOW, len(y)))
        window_dp.append(demographic_parity_difference(y[w], y_pred[w],
                                                       sensitive_features=race[w]))
        streaming.update(y[w], y_pred[w], race[w])
        cumulative_dp.append(streaming.get())
        ends.append(w.stop)
    batch = demographic_parity_difference(y, y_pred, sensitive_features=race)
    print(f"SGDClassifier: DP difference streaming {cumulative_dp[-1]:.6f}, batch {batch:.6f}")
    ax_dp.stairs(window_dp, [0] + ends, baseline=None, label=f"window of {WINDOW} predictions")
    ax_dp.plot(ends, cumulative_dp, "o-", ms=3, label="all predictions so far")
    ax_dp.set(xlabel="samples seen", ylabel="demographic parity difference (race)",
              title="SGDClassifier: recent vs. cumulative DP", ylim=(0, None))
    ax_dp.legend(fontsize=8)
    fig.suptitle(f"Prequential evaluation on the COMPAS stream ({len(y):,} samples)")
    fig.tight_layout()
    return save_figure(fig, out_dir / Path(__file__).stem)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
