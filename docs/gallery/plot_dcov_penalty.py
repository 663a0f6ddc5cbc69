"""Distance-covariance penalty on COMPAS: accuracy against dependence on race, sex and age.

DCovRegularizedClassifier (logistic regression trained by mini-batches) penalizes the squared
distance covariance between its predicted probabilities and the protected attributes, which
may be of any type: here race (categorical), sex (binary) and age (numeric) at once, with the
concatenated penalty CCdCov. Sweeping fairness_weight on a train/test split of COMPAS shows the
trade-off: the test accuracy against the test CCdCov (left), and the distance correlation of
the predictions with each attribute on its own (right).
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from fairlearn_online import DCovRegularizedClassifier
from fairlearn_online.datasets import load_compas
from fairlearn_online.dcov import (concatenated_distance_covariance,
                                   distance_correlation, encode_sensitive_features)
from fairlearn_online.utils import save_figure

FAIRNESS_WEIGHTS = [0.0, 1.0, 3.0, 10.0, 30.0, 100.0]


def main(out_dir=None):
    out_dir = Path(out_dir) if out_dir else Path(__file__).resolve().parent / "images"
    compas = load_compas()  # target: two-year recidivism
    X = pd.get_dummies(compas.data, dtype=float).to_numpy()  # protected attributes included
    y = compas.target.to_numpy()
    S = pd.DataFrame({"race": compas.data["race"], "sex": compas.data["sex"],
                      "age": compas.data["age"]})  # multitype protected attributes
    X_tr, X_te, y_tr, y_te, S_tr, S_te = train_test_split(X, y, S, test_size=0.3,
                                                          stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    blocks = encode_sensitive_features(S_te)  # one encoded matrix per attribute

    rows = []
    for lam in FAIRNESS_WEIGHTS:
        clf = DCovRegularizedClassifier(penalty="ccdcov", fairness_weight=lam, n_epochs=5,
                                        learning_rate=0.02, random_state=0)
        clf.fit(X_tr, y_tr, sensitive_features=S_tr)
        p = clf.predict_proba(X_te)[:, 1]
        row = {"fairness_weight": lam, "accuracy": float(np.mean((p > 0.5) == y_te)),
               "ccdcov": concatenated_distance_covariance(p, S_te)}
        for block in blocks:
            row[f"dcor_{block['name']}"] = distance_correlation(p, block["values"])
        rows.append(row)
    results = pd.DataFrame(rows)
    print(results.round(4).to_string(index=False))

    fig, (ax_front, ax_attr) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_front.plot(results["ccdcov"], results["accuracy"], "o-")
    for _, r in results.iterrows():
        ax_front.annotate(f"λ={r['fairness_weight']:g}", (r["ccdcov"], r["accuracy"]),
                          textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax_front.margins(x=0.12, y=0.1)
    ax_front.set(xlabel="CCdCov(predicted probability, [race, sex, age]) on test",
                 ylabel="test accuracy", title="Accuracy vs. dependence")
    # fairness_weight 0 cannot go on a log axis: put it at the left edge with a symlog scale
    for block, marker in zip(blocks, "os^"):
        ax_attr.plot(results["fairness_weight"], results[f"dcor_{block['name']}"],
                     marker=marker, label=f"{block['name']} ({block['kind']})")
    ax_attr.set_xscale("symlog", linthresh=1.0)
    ax_attr.set(xlabel="fairness_weight (λ)", ylabel="distance correlation on test",
                title="Dependence on each attribute", ylim=(0, None))
    ax_attr.legend()
    fig.suptitle("DCovRegularizedClassifier (CCdCov penalty) on COMPAS")
    fig.tight_layout()
    return save_figure(fig, out_dir / Path(__file__).stem)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
