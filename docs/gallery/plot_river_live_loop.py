"""A live loop over a river stream: AranyaniClassifier through to_river, fairness monitored.

The Adult stream is read one event at a time as river delivers it (``river.stream.iter_frame``:
a dict of the 14 standardized features plus ``sex``). fairlearn_online.river.to_river turns an
AranyaniClassifier into a river classifier that takes the protected attribute from the ``sex``
key (not a model input here); a river pipeline standardizes the other keys on the fly. Each
event is predicted, the prediction enters the streaming metrics (accuracy and the
demographic-parity difference of all predictions so far, from fairlearn_online.metrics, updated
every 100 events), then the event is learned. Two forests read the same stream, without and with
the fairness gradient (lambda = 10).
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from river import compose, preprocessing, stream

from fairlearn_online import AranyaniClassifier
from fairlearn_online.datasets import load_stream
from fairlearn_online.metrics import Accuracy, DemographicParityDifference
from fairlearn_online.river import to_river
from fairlearn_online.utils import save_figure

# river >= 0.23 calls it iter_frame; iter_pandas before
iter_frame = getattr(stream, "iter_frame", None) or stream.iter_pandas
N_EVENTS = 4000
EVERY = 100


def live_loop(model, events):
    """Predict, monitor, learn: one event at a time."""
    accuracy, parity = Accuracy(), DemographicParityDifference()
    seen, curve = [], []
    for i, (x, y) in enumerate(events, start=1):
        y_pred = model.predict_one(x)  # None until the model has learned an event
        if y_pred is not None:
            seen.append((y, y_pred, x["sex"]))
        model.learn_one(x, y)
        if i % EVERY == 0 and seen:
            y_true, y_hat, sex = (np.array(v) for v in zip(*seen))
            accuracy.update(y_true, y_hat, sex)
            parity.update(y_true, y_hat, sex)
            seen.clear()
            curve.append((i, accuracy.get(), parity.get()))
    return np.array(curve)


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    X, y, sex = load_stream("adult", random_state=0)
    frame = pd.DataFrame(X[:N_EVENTS], columns=[f"x{j}" for j in range(X.shape[1])])
    frame["sex"] = sex[:N_EVENTS]
    curves = {}
    for fairness_weight in (0.0, 10.0):
        forest = to_river(AranyaniClassifier(fairness_weight=fairness_weight, random_state=0),
                          "sex", classes=[0, 1])
        model = (compose.Discard("sex") | preprocessing.StandardScaler()) \
            + compose.Select("sex") | forest
        curves[fairness_weight] = live_loop(model, iter_frame(frame, pd.Series(y[:N_EVENTS])))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for (lam, curve), color in zip(curves.items(), ("tab:blue", "tab:orange")):
        label = f"lambda = {lam:g}"
        axes[0].plot(curve[:, 0], curve[:, 1], color=color, label=label)
        axes[1].plot(curve[:, 0], curve[:, 2], color=color, label=label)
    axes[0].set(xlabel="events", ylabel="accuracy so far", title="Prequential accuracy")
    axes[1].set(xlabel="events", ylabel="DP difference so far (women vs men)",
                title="Demographic parity, monitored live", ylim=(0, None))
    axes[0].legend(frameon=False)
    for lam, curve in curves.items():
        print(f"lambda = {lam:g}: accuracy {curve[-1, 1]:.3f}, DP difference {curve[-1, 2]:.3f}")
    return save_figure(fig, out_dir / "plot_river_live_loop")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
