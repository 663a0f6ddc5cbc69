"""Fairness limits on Adult: the best accuracy any post-processing can reach, and a model on it.

A logistic regression is fitted on part of the Adult stream; on the held-out part its scores
are cut into 20 quantile cells, which, with the model's own prediction and the sex of each
person, define the candidate classifiers. fairness_limit_curve solves a linear program per
bound: the best accuracy of any randomized classifier of these cells whose demographic-parity
(left) or equalized-odds (right) difference is at most the bound. The logistic model lies below
both curves. fairness_limit returns the optimal classifier at one bound (its probability of a
positive prediction in every cell); one random draw of its predictions, measured with the
metrics module, lands next to the curve (the limit bounds the expected accuracy and disparity,
a single draw scatters around them).
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from fairlearn_online.datasets import load_stream
from fairlearn_online.metrics import (demographic_parity_difference,
                                      equalized_odds_difference)
from fairlearn_online.optimum import (fairness_limit, fairness_limit_curve,
                                      quantile_cells)
from fairlearn_online.utils import save_figure

N_TRAIN = 20_000  # the remaining 12,561 rows of adult.data are the evaluation set
EPS_MODEL = 0.05  # the bound of the optimal classifier drawn on the curves


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    X, y, sex = load_stream("adult", random_state=0)
    model = LogisticRegression(max_iter=1000).fit(X[:N_TRAIN], y[:N_TRAIN])
    X, y, sex = X[N_TRAIN:], y[N_TRAIN:], sex[N_TRAIN:]
    y_model = model.predict(X)
    # what a post-processing may look at: score quantile, the model's prediction, the group
    cells = np.column_stack([quantile_cells(model.decision_function(X), n_bins=20), y_model,
                             sex == "Male"]).astype(int)

    measures = {"demographic_parity": demographic_parity_difference,
                "equalized_odds": equalized_odds_difference}
    rng = np.random.default_rng(0)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, (constraint, measure) in zip(axes, measures.items()):
        # 11 bounds from 0 to the disparity of the unconstrained optimum
        curve = fairness_limit_curve(cells, sex, y, constraint=constraint, n_points=11)
        ax.plot(curve["disparity"], curve["accuracy"], "k--", label="limit (post-processing)")
        ax.plot(measure(y, y_model, sensitive_features=sex), np.mean(y_model == y), "o",
                color="tab:red", label="logistic regression")
        # the optimal randomized classifier at one bound: P(yhat = 1 | cell) for every cell
        best = fairness_limit(cells, sex, y, constraint=constraint, eps=EPS_MODEL)
        p_positive = dict(zip(best.cells, best.decision))
        y_best = rng.random(len(y)) < np.array([p_positive[tuple(c)] for c in cells])
        ax.plot(best.disparity, best.accuracy, "s", color="tab:blue",
                label=f"optimal classifier at bound {EPS_MODEL}")
        ax.plot(measure(y, y_best, sensitive_features=sex), np.mean(y_best == y), "x",
                color="tab:blue", label="one random draw of its predictions")
        name = constraint.replace("_", " ")
        ax.set(xlabel=f"{name} difference (sex)", ylabel="accuracy", title=f"Limit under {name}")
        ax.legend(loc="lower right", fontsize=8)
        print(f"{constraint}: limit at 0 {curve['accuracy'].iloc[0]:.4f}, "
              f"model {np.mean(y_model == y):.4f}, optimal at {EPS_MODEL}: "
              f"{best.accuracy:.4f} (sampled {np.mean(y_best == y):.4f})")
    fig.suptitle(f"Fairness limits on Adult ({len(y):,} held-out rows)")
    fig.tight_layout()
    return save_figure(fig, out_dir / Path(__file__).stem)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
