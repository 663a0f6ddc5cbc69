"""One colour, marker and printed name per method, whichever methods share a figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from fairlearn_online.experiments import list_experiments  # noqa: E402
from fairlearn_online.plotting import (  # noqa: E402
    METHOD_STYLES,
    canonical_name,
    dataset_label,
    method_label,
    method_style,
    plot_frontier,
)

#: the point keys naming a method, a penalty or a score function in the experiments' grids
NAME_KEYS = ("method", "penalty", "rule")


def _results(methods):
    rows = [dict(method=m, fairness_weight=lam, seed=s, accuracy=0.8 - 0.01 * i - 0.001 * lam,
                 demographic_parity_difference=0.2 / (1 + lam))
            for i, m in enumerate(methods) for lam in (0.0, 1.0) for s in range(2)]
    return pd.DataFrame(rows)


def _drawn(fig):
    """legend label -> (colour as RGBA, marker) of every entry of the figure's first axes."""
    out = {}
    for handle, label in zip(*fig.axes[0].get_legend_handles_labels()):
        line = handle[0] if isinstance(handle, tuple) or hasattr(handle, "lines") else handle
        out[label] = (mcolors.to_rgba(line.get_color()), line.get_marker())
    return out


def test_a_method_keeps_its_style_whatever_the_other_methods():
    full = ["aranyani", "aranyani-uncapped", "fair-logistic", "sgd-log-loss", "hoeffding-tree",
            "majority"]
    drawn_full = _drawn(plot_frontier(_results(full)))
    for subset in (["majority"], ["aranyani", "majority"], ["hoeffding-tree", "majority"],
                   ["majority", "sgd-log-loss", "fair-logistic"][::-1]):
        drawn = _drawn(plot_frontier(_results(subset)))
        assert set(drawn) == {method_label(m) for m in subset}
        for label, style in drawn.items():
            assert style == drawn_full[label], label
    majority = drawn_full[method_label("majority")]
    assert majority == (mcolors.to_rgba(METHOD_STYLES["majority"].color),
                        METHOD_STYLES["majority"].marker)


def test_spellings_fold_into_one_name():
    assert canonical_name("sgd_log_loss") == canonical_name("SGD-Log-Loss") == "sgd-log-loss"
    assert method_style("sgd_log_loss") == method_style("sgd-log-loss")
    assert method_style("k_borda") == method_style("k-borda")
    assert method_label("ccdcov") == "CCdCov" and method_label("jdcov") == "JdCov"
    assert dataset_label("compas") == dataset_label("COMPAS") == "COMPAS"
    assert dataset_label("adult") == "Adult"


def test_unregistered_names_get_a_stable_style_from_the_name_not_the_order():
    first = method_style("some-new-method")
    assert first == method_style("some-new-method")
    assert first["label"] == "some-new-method"
    assert mcolors.is_color_like(first["color"])


@pytest.mark.parametrize("family", sorted({s.family for s in METHOD_STYLES.values()}))
def test_colours_and_markers_are_distinct_within_a_family(family):
    styles = [s for s in METHOD_STYLES.values() if s.family == family]
    colours = [mcolors.to_hex(s.color) for s in styles]
    assert len(set(colours)) == len(colours), colours
    assert len({s.marker for s in styles}) == len(styles)
    assert len({s.label for s in styles}) == len(styles)
    for s in styles:
        assert mcolors.is_color_like(s.color)


def test_every_method_an_experiment_runs_is_registered():
    seen = set()
    for experiment in list_experiments():
        if experiment.name.startswith("_"):  # toy experiments registered by other tests
            continue
        for quick in (True, False):
            for point in experiment.grid(quick, 1):
                seen |= {(experiment.name, point[k]) for k in NAME_KEYS
                         if k in point and isinstance(point[k], str)}
    assert seen, "no experiment declares a method"
    missing = sorted((e, n) for e, n in seen if canonical_name(n) not in METHOD_STYLES)
    assert not missing, missing


def test_colours_are_not_assigned_by_order():
    # the majority class is black in a figure alone, and in a figure with ten other methods
    many = [m for m, s in METHOD_STYLES.items() if s.family == "classifier"]
    alone = _drawn(plot_frontier(_results(["majority"])))
    crowded = _drawn(plot_frontier(_results(many)))
    label = method_label("majority")
    assert alone[label] == crowded[label]
    assert np.allclose(alone[label][0], mcolors.to_rgba("black"))


def test_spread_label_names_the_runs_and_says_one_run_plainly():
    from fairlearn_online.plotting import spread_label

    assert spread_label(5, "stream order") == "mean ± sd over 5 stream orders"
    assert spread_label(1, "stream order") == "one stream order"
    assert spread_label(3, "initialization, stream in file order", "mean") == (
        "mean over 3 initializations, stream in file order")
