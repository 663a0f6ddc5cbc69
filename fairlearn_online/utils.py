"""Small shared helpers: progress bars, figure saving, expected estimator-check failures."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["progress_bar", "save_figure", "EXPECTED_FAILED_CHECKS", "NOT_SKLEARN_PREDICTORS"]

#: Estimator class name -> why scikit-learn's (X, y) estimator checks do not apply to it at all.
NOT_SKLEARN_PREDICTORS: dict[str, str] = {}

#: Estimator class name -> {scikit-learn check name: one-line reason}. Handed to
#: ``parametrize_with_checks(expected_failed_checks=...)`` by the test-suite; the one place where
#: a check may be declared as an expected failure.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}

_Y_2D = "base.check_target rejects a (n, 1) y with a clear error instead of warning and raveling"
EXPECTED_FAILED_CHECKS.update({
    "AranyaniClassifier": {"check_supervised_y_2d": _Y_2D},
    "OnlineFairLogisticClassifier": {"check_supervised_y_2d": _Y_2D},
    "RiverClassifier": {"check_supervised_y_2d": _Y_2D},
    "MajorityClassClassifier": {"check_supervised_y_2d": _Y_2D},
    "GroupwiseRegretRegressor": {"check_supervised_y_2d": _Y_2D},
    "GroupIndicatorRidgeRegressor": {"check_supervised_y_2d": _Y_2D},
    "DCovRegularizedClassifier": {"check_supervised_y_2d": _Y_2D},
    "DCovRegularizedRegressor": {"check_supervised_y_2d": _Y_2D},
})


def progress_bar(iterable, *, total=None, desc=None, enable=None, unit="it"):
    """Wrap ``iterable`` in a tqdm bar, shown only on a terminal unless ``enable`` says so."""
    from tqdm.auto import tqdm

    if enable is None:
        enable = sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not enable, unit=unit,
                dynamic_ncols=True, leave=False)


def save_figure(fig, path, *, dpi=150):
    """Save ``fig`` as ``path``.png and ``path``.svg (any suffix of ``path`` is replaced).

    Returns the two paths written.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=dpi, bbox_inches="tight")
        written.append(target)
    plt.close(fig)
    return written
