"""Aranyani on the Adult stream: accuracy and demographic parity over time.

An AranyaniClassifier (oblique soft decision forest) learns a
shuffled slice of the Adult stream one sample at a time, at two fairness weights. The
prequential (test-then-train) evaluation reports, every 500 samples, the accuracy and the
demographic-parity difference between women and men of all predictions made so far: the fair
forest trades a few points of accuracy for a much smaller parity gap.
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt

from fairlearn_online import AranyaniClassifier
from fairlearn_online.datasets import load_stream
from fairlearn_online.evaluate import prequential
from fairlearn_online.utils import save_figure

N_SAMPLES = 12_000  # a slice of the 32,561 rows keeps the example fast
FAIRNESS_WEIGHTS = [0.0, 100.0]


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    # label-encoded, standardized features; 0/1 income > 50K; sex as the protected attribute
    X, y, sex = load_stream("adult", random_state=0)
    X, y, sex = X[:N_SAMPLES], y[:N_SAMPLES], sex[:N_SAMPLES]

    fig, (ax_acc, ax_dp) = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for lam, color in zip(FAIRNESS_WEIGHTS, ["tab:blue", "tab:orange"]):
        clf = AranyaniClassifier(fairness_weight=lam, random_state=0)
        curve = prequential(clf, X, y, sensitive_features=sex, every=500, progress=False)
        label = f"fairness_weight={lam:g}"
        ax_acc.plot(curve["n_samples"], curve["accuracy"], color=color, label=label)
        ax_dp.plot(curve["n_samples"], curve["demographic_parity_difference"], color=color,
                   label=label)
        last = curve.iloc[-1]
        print(f"{label}: accuracy {last['accuracy']:.4f}, "
              f"DP difference {last['demographic_parity_difference']:.4f}")

    ax_acc.set(xlabel="samples seen", ylabel="prequential accuracy", title="Accuracy")
    ax_dp.set(xlabel="samples seen", ylabel="DP difference between sexes",
              title="Demographic parity difference", ylim=(0, None))
    ax_acc.legend(loc="lower right")
    ax_dp.legend(loc="upper left")
    fig.suptitle(f"AranyaniClassifier on the Adult stream ({N_SAMPLES:,} samples, one pass)")
    fig.tight_layout()
    return save_figure(fig, out_dir / Path(__file__).stem)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
