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


# MultiwinnerSelector learns from rankings (rows = permutations of 0..m-1, integer dtype); these
# checks feed float/object feature matrices, which it rejects by design with a clear error.
_RANKINGS = "input must be integer rankings (rows = permutations of item indices), not features"
EXPECTED_FAILED_CHECKS["MultiwinnerSelector"] = {check: _RANKINGS for check in (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature",
    "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted",
    "check_n_features_in", "check_fit2d_predict1d")}


def progress_bar(iterable, *, total=None, desc=None, enable=None, unit="it"):
    """Wrap ``iterable`` in a tqdm bar, shown only on a terminal unless ``enable`` says so.

    Parameters
    ----------
    iterable : iterable
    total : int or None, default=None
        Number of items, if ``iterable`` has no length.
    desc : str or None, default=None
        Label of the bar.
    enable : bool or None, default=None
        ``None``: shown when stderr is a terminal.
    unit : str, default="it"

    Returns
    -------
    tqdm.auto.tqdm
        Iterates as ``iterable``.
    """
    from tqdm.auto import tqdm

    if enable is None:
        enable = sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not enable, unit=unit,
                dynamic_ncols=True, leave=False)


def save_figure(fig, path, *, dpi=150):
    """Save ``fig`` as ``path``.png and ``path``.svg (any suffix of ``path`` is replaced).

    The files are reproducible: no creation date, and SVG element ids from a fixed salt, so the
    same figure written twice gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Closed once saved.
    path : str or pathlib.Path
        File name without (or with any) suffix.
    dpi : int, default=150
        Resolution of the PNG.

    Returns
    -------
    list of pathlib.Path
        The PNG and the SVG.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context({"svg.hashsalt": "fairlearn_online"}):
        for suffix, metadata in ((".png", {"Software": None}), (".svg", {"Date": None})):
            target = path.with_suffix(suffix)
            fig.savefig(target, dpi=dpi, bbox_inches="tight", metadata=metadata)
            written.append(target)
    plt.close(fig)
    return written
