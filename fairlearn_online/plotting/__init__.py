"""Figures shared by the experiments: accuracy-fairness frontiers and curves over a stream.

All functions take tidy DataFrames (one row per method, hyper-parameter and seed, as the
experiment runner writes them) and return the matplotlib ``Figure``; save it with
:func:`fairlearn_online.utils.save_figure` (PNG and SVG).
"""

from __future__ import annotations

import pandas as pd

from .styles import (
    DATASET_LABELS,
    METHOD_STYLES,
    MethodStyle,
    canonical_name,
    dataset_label,
    method_label,
    method_style,
    spread_label,
)

__all__ = ["summarize_over_seeds", "plot_frontier", "plot_stream_curves", "MethodStyle",
           "METHOD_STYLES", "DATASET_LABELS", "canonical_name", "method_style", "method_label",
           "dataset_label", "spread_label"]


def summarize_over_seeds(results: pd.DataFrame, *, by, metrics) -> pd.DataFrame:
    """Mean, standard deviation and count over seeds of ``metrics`` for each ``by`` group.

    Returns a flat DataFrame with columns ``by + [f"{m}_mean", f"{m}_std", ...] + ["n_seeds"]``.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per run.
    by : list of str
        Columns that identify a configuration (every other column but ``metrics`` is dropped).
    metrics : list of str
        Columns averaged.

    Returns
    -------
    summary : pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from fairlearn_online.plotting import summarize_over_seeds
    >>> df = pd.DataFrame({"method": ["a", "a"], "seed": [0, 1], "accuracy": [0.8, 0.9]})
    >>> summarize_over_seeds(df, by=["method"], metrics=["accuracy"]).round(3).to_dict("records")
    [{'method': 'a', 'accuracy_mean': 0.85, 'accuracy_std': 0.071, 'n_seeds': 2}]
    """
    by = list(by)
    grouped = results.groupby(by, dropna=False, sort=True)
    out = grouped[list(metrics)].agg(["mean", "std"])
    out.columns = [f"{m}_{stat}" for m, stat in out.columns]
    out["n_seeds"] = grouped.size()
    return out.reset_index()


def _figure_and_axes(ax, *, figsize):
    """``ax`` and its figure, or a new figure of ``figsize`` when ``ax`` is None."""
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)


def plot_frontier(results: pd.DataFrame, *, x="demographic_parity_difference", y="accuracy",
                  method="method", param="fairness_weight", limit=None, limit_label="limit",
                  ax=None, title=None, xlabel=None, ylabel=None):
    """Accuracy-fairness frontier: one curve per method along its ``param`` sweep.

    Each point is the mean over seeds, with error bars of one standard deviation in both
    directions; each method has its fixed colour, marker and name of
    :func:`~fairlearn_online.plotting.method_style`. ``limit`` (a DataFrame with columns ``x``
    and ``y`` named as here, e.g. from
    :func:`fairlearn_online.optimum.fairness_limit_curve` renamed) is drawn as a dashed black
    line: no model can lie above it.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per run: ``method``, ``param``, the ``x`` and ``y`` metrics (and a seed).
    x, y : str, default="demographic_parity_difference", "accuracy"
        Columns drawn.
    method, param : str, default="method", "fairness_weight"
        Columns naming the method and its swept parameter.
    limit : pandas.DataFrame or None, default=None
        Reference curve (columns ``x`` and ``y``).
    limit_label : str, default="limit"
        Its legend entry.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on (``None``: a new figure).
    title, xlabel, ylabel : str or None, default=None
        Texts (``None``: none, or the column names).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    fig, ax = _figure_and_axes(ax, figsize=(6.4, 4.6))
    keys = [method] + ([param] if param in results.columns else [])
    summary = summarize_over_seeds(results, by=keys, metrics=[x, y])
    for name, frame in summary.groupby(method, sort=True):
        frame = frame.sort_values(f"{x}_mean")
        ax.errorbar(frame[f"{x}_mean"], frame[f"{y}_mean"], xerr=frame[f"{x}_std"].fillna(0),
                    yerr=frame[f"{y}_std"].fillna(0), ms=5, capsize=2, lw=1.2,
                    **method_style(name))
    if limit is not None and len(limit):
        limit = limit.sort_values(x)
        ax.plot(limit[x], limit[y], "k--", lw=1.5, label=limit_label)
    ax.set_xlabel(xlabel or x.replace("_", " "))
    ax.set_ylabel(ylabel or y.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_stream_curves(curves: pd.DataFrame, *, x="n_samples", y="demographic_parity_difference",
                       hue="fairness_weight", ax=None, title=None, ylabel=None, logy=False):
    """A metric over the stream, one line per ``hue`` value (mean over seeds, shaded +- std).

    With ``hue="method"`` each method has its fixed colour and name of
    :func:`~fairlearn_online.plotting.method_style`. The band is clipped at 0 for a metric that
    cannot be negative (``logy``, or a metric whose values are all >= 0).

    Parameters
    ----------
    curves : pandas.DataFrame
        One row per checkpoint of a run: ``x``, ``y``, ``hue`` (and a seed).
    x, y, hue : str, default="n_samples", "demographic_parity_difference", "fairness_weight"
        Columns drawn and the column whose values make the lines.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on (``None``: a new figure).
    title, ylabel : str or None, default=None
    logy : bool, default=False
        Logarithmic y axis.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    fig, ax = _figure_and_axes(ax, figsize=(6.4, 4.2))
    floor = 0.0 if logy or (curves[y] >= 0).all() else -float("inf")
    for value, frame in curves.groupby(hue, sort=True):
        stats = frame.groupby(x)[y].agg(["mean", "std"]).fillna(0.0)
        if hue == "method":
            style = method_style(value)
            style = dict(color=style["color"], label=style["label"])
        else:
            style = dict(label=f"{hue}={value}")
        (line,) = ax.plot(stats.index, stats["mean"], **style)
        ax.fill_between(stats.index, (stats["mean"] - stats["std"]).clip(lower=floor),
                        stats["mean"] + stats["std"], alpha=0.2, color=line.get_color())
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel or y.replace("_", " "))
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig

