import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fairlearn_online.plotting import plot_frontier, plot_stream_curves, summarize_over_seeds  # noqa: E402
from fairlearn_online.utils import save_figure  # noqa: E402


def _results():
    rng = np.random.default_rng(0)
    rows = []
    for method in ("a", "b"):
        for lam in (0.0, 1.0, 10.0):
            for seed in range(3):
                rows.append(dict(method=method, fairness_weight=lam, seed=seed,
                                 accuracy=0.8 - 0.01 * lam + 0.001 * rng.normal(),
                                 demographic_parity_difference=0.2 / (1 + lam)))
    return pd.DataFrame(rows)


def test_summarize_over_seeds():
    summary = summarize_over_seeds(_results(), by=["method", "fairness_weight"],
                                   metrics=["accuracy"])
    assert len(summary) == 6 and (summary["n_seeds"] == 3).all()
    first = _results().query("method == 'a' and fairness_weight == 0.0")["accuracy"]
    assert summary.loc[0, "accuracy_mean"] == first.mean()
    assert abs(summary.loc[0, "accuracy_std"] - first.std()) < 1e-15


def test_frontier_and_stream_figures(tmp_path):
    limit = pd.DataFrame({"demographic_parity_difference": [0.0, 0.2], "accuracy": [0.7, 0.85]})
    fig = plot_frontier(_results(), limit=limit, title="t")
    ax = fig.axes[0]
    assert len(ax.get_legend().get_texts()) == 3  # two methods and the limit
    written = save_figure(fig, tmp_path / "frontier")
    assert [p.suffix for p in written] == [".png", ".svg"] and all(p.stat().st_size for p in written)
    curves = pd.DataFrame({"n_samples": [1, 2, 1, 2], "demographic_parity_difference": [0.1, 0.2, 0.3, 0.1],
                           "fairness_weight": [0, 0, 1, 1], "seed": [0, 0, 0, 0]})
    fig = plot_stream_curves(curves)
    assert len(fig.axes[0].lines) == 2


def test_saved_figures_are_reproducible(tmp_path):
    import matplotlib.pyplot as plt

    contents = []
    for name in ("a", "b"):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0], label="line")
        ax.legend()
        written = save_figure(fig, tmp_path / name)
        contents.append([p.read_bytes() for p in written])
    assert contents[0] == contents[1]
