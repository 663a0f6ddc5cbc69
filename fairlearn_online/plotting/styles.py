"""One colour, marker and printed name per method, and one printed name per data set.

Every experiment draws a method with :func:`method_style`, so a method keeps its colour and
marker in every figure, whichever other methods share the figure (a quick run draws fewer
methods than a full one: colours assigned by order would change between the two). Names are
looked up after :func:`canonical_name`, which folds the spellings ``sgd_log_loss`` and
``sgd-log-loss`` (and upper/lower case) into one.

The families never share a figure, so a colour may be reused across families but never within
one: the streaming classifiers of the frontier experiments, the distance-covariance penalties,
the multiwinner score functions and the groupwise-regret learners. A name that is not
registered gets a grey derived from the name itself (never from its position), so it is still
stable; the tests check that every method an experiment runs is registered.

Examples
--------
>>> from fairlearn_online.plotting import method_style, dataset_label
>>> method_style("sgd_log_loss") == method_style("sgd-log-loss")
True
>>> method_style("ccdcov")["label"], dataset_label("compas")
('CCdCov', 'COMPAS')
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from .._core.docstrings import fill_doc

__all__ = ["MethodStyle", "METHOD_STYLES", "DATASET_LABELS", "canonical_name", "method_style",
           "method_label", "dataset_label", "spread_label"]


@dataclass(frozen=True)
class MethodStyle:
    """How one method is drawn: printed name, matplotlib colour and marker.

    Parameters
    ----------
    label : str
        Printed name.
    color : str
        matplotlib colour.
    marker : str
        matplotlib marker.
    family : str
        The group of methods it belongs to (its entries share a palette).
    """

    label: str
    color: str
    marker: str
    family: str


def _family(family, entries):
    return {name: MethodStyle(label, color, marker, family)
            for name, (label, color, marker) in entries.items()}


#: canonical method name -> style. Colours are matplotlib's tab10 and named colours.
METHOD_STYLES: dict[str, MethodStyle] = {
    # streaming classifiers (adult-frontier, compas-frontier, frontier, adult-baselines, ...)
    **_family("classifier", {
        "aranyani": ("Aranyani", "#1f77b4", "o"),
        "aranyani-huber": ("Aranyani, clipped (Huber) gradient", "#7f7f7f", "d"),
        "aranyani-uncapped": ("Aranyani, uncapped gradient", "#ff7f0e", "s"),
        "aranyani-reservoir": ("Aranyani, reservoir statistics", "#2ca02c", "^"),
        "fair-logistic": ("fair logistic", "#d62728", "D"),
        "sgd-log-loss": ("SGD logistic (log-loss)", "#9467bd", "P"),
        "hoeffding-tree": ("Hoeffding tree", "#8c564b", "v"),
        "hoeffding-adaptive-tree": ("Hoeffding adaptive tree", "#e377c2", "<"),
        "aranyani-output": ("Aranyani, output penalty", "#bcbd22", "*"),
        "aranyani-output-decay": ("Aranyani, output penalty, decaying", "#17becf", "X"),
        "dcov-logistic": ("dCov logistic", "#008080", "h"),
        "faht": ("FAHT", "#b8860b", ">"),
        "faht-info-gain": ("FAHT's tree, plain information gain", "#808000", "p"),
        "majority": ("majority class", "#000000", "x"),
    }),
    # distance-covariance penalties (dcov-compas, dcov-compas-study)
    **_family("dcov", {
        "none": ("no penalty", "#000000", "s"),
        "dcov": ("dCov", "#1f77b4", "o"),
        "jdcov": ("JdCov", "#ff7f0e", "^"),
        "ccdcov": ("CCdCov", "#2ca02c", "D"),
    }),
    # multiwinner score functions (selection-bias)
    **_family("selection", {
        "sntv": ("SNTV", "#1f77b4", "o"),
        "bloc": ("Bloc", "#ff7f0e", "s"),
        "k-borda": ("k-Borda", "#2ca02c", "^"),
        "chamberlin-courant": ("Chamberlin-Courant", "#d62728", "D"),
        "harmonic": ("harmonic (PAV)", "#9467bd", "v"),
    }),
    # groupwise-regret learners (regret-synthetic, regret-adult)
    **_family("regret", {
        "ours": ("ours (prediction loss)", "#ff7f0e", "o"),
        "ours-expected": ("ours (expected loss, as the paper)", "#d62728", "s"),
        "baseline": ("baseline: one ridge on [x, groups]", "#1f77b4", "^"),
    }),
}

#: canonical data-set name -> printed name
DATASET_LABELS: dict[str, str] = {
    "adult": "Adult",
    "compas": "COMPAS",
    "synthetic": "synthetic",
}

_FALLBACK_GREYS = ("#555555", "#777777", "#999999", "#444444", "#666666", "#888888")
_FALLBACK_MARKERS = (".", "1", "2", "3", "4", "+")

#: the Parameters section of the functions that look a method name up
_METHOD_NAME_PARAMETERS = """
Parameters
----------
name : str
    A method name, in any spelling :func:`canonical_name` folds.
"""


def canonical_name(name) -> str:
    """The registry key of a method or data-set name: lower case, ``-`` for ``_`` and spaces.

    Parameters
    ----------
    name : str

    Returns
    -------
    str
    """
    return str(name).strip().lower().replace("_", "-").replace(" ", "-")


@fill_doc(method_name_parameters=_METHOD_NAME_PARAMETERS)
def method_style(name) -> dict:
    """``dict(color=..., marker=..., label=...)`` of method ``name``, ready for ``ax.plot(**)``.

    Does not depend on which other methods a figure holds. An unregistered name gets a grey and a
    marker chosen from a checksum of the name (stable across runs and figures) and its own
    spelling as label.

    %(method_name_parameters)s

    Returns
    -------
    dict
        ``color``, ``marker`` and ``label``.
    """
    style = METHOD_STYLES.get(canonical_name(name))
    if style is None:
        code = zlib.crc32(canonical_name(name).encode())
        return dict(color=_FALLBACK_GREYS[code % len(_FALLBACK_GREYS)],
                    marker=_FALLBACK_MARKERS[(code // 7) % len(_FALLBACK_MARKERS)],
                    label=str(name))
    return dict(color=style.color, marker=style.marker, label=style.label)


@fill_doc(method_name_parameters=_METHOD_NAME_PARAMETERS)
def method_label(name) -> str:
    """The printed name of method ``name`` (its own spelling if unregistered).

    %(method_name_parameters)s

    Returns
    -------
    str
    """
    return method_style(name)["label"]


def dataset_label(name) -> str:
    """The printed name of data set ``name`` ("COMPAS", "Adult"; its own spelling otherwise).

    Parameters
    ----------
    name : str
        A data-set name (``"adult"``, ``"compas"``, ...).

    Returns
    -------
    str
    """
    return DATASET_LABELS.get(canonical_name(name), str(name))


def spread_label(n, unit, statistic="mean ± sd"):
    """What a figure's points summarize: ``"mean ± sd over 5 stream orders"``, or
    ``"one stream order"`` when there is one run (a spread over one run says nothing).

    Parameters
    ----------
    n : int
        Number of runs.
    unit : str
        One run, singular (``"stream order"``, ``"split"``); a qualifier after a comma stays
        singular (``"initialization, stream in file order"``).
    statistic : str, default="mean ± sd"
        What is computed over the runs.

    Returns
    -------
    str
    """
    n = int(n)
    if n == 1:
        return f"one {unit}"
    head, sep, tail = unit.partition(",")
    return f"{statistic} over {n} {head}s{sep}{tail}"
