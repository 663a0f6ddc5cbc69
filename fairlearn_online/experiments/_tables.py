"""Number formats of the Markdown tables the experiments and the docs write: one per column.

A column is printed in one format chosen from all of its values, so ``1.682e-05`` never stands
next to ``0.0001032``: integers as integers; otherwise fixed-point with enough decimals for four
significant digits of the column's smallest non-zero magnitude, or scientific notation (four
significant digits) for the whole column when its magnitudes go below 1e-3 or reach 1e5.
"""

from __future__ import annotations

import math

__all__ = ["format_column", "markdown_table", "summary_markdown"]

_MAX_DECIMALS = 6


def _number(value):
    """``value`` as a float, or None if it is not a number (text, None, empty string)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _is_missing(value):
    """A blank cell: ``None``, an empty string or NaN."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return True
    number = _number(value)
    return number is not None and math.isnan(number)


def format_column(values, *, missing="", fmt=None):
    """The values of one table column as strings, all numbers in one format.

    Parameters
    ----------
    values : sequence
        Numbers, numeric strings (as read from a CSV), or text. NaN, None and empty strings are
        missing values.
    missing : str, default=""
        What a missing value prints as.
    fmt : str, optional
        A format such as ``"{:.2f}"`` for every number of the column, instead of the chosen one.

    Returns
    -------
    list of str
        Text columns (any non-missing value that is not a number) are returned unchanged.

    Examples
    --------
    >>> format_column([1.682e-05, 0.0001032, float("nan")], missing="-")
    ['1.682e-05', '1.032e-04', '-']
    >>> format_column([0.7592, 0.76891, 12.5])
    ['0.7592', '0.7689', '12.5000']
    >>> format_column(["3", "10", ""])
    ['3', '10', '']
    """
    values = list(values)
    present = [v for v in values if not _is_missing(v)]
    numbers = [_number(v) for v in present]
    if not present or any(n is None for n in numbers):
        return [missing if _is_missing(v) else str(v) for v in values]
    finite = [n for n in numbers if math.isfinite(n)]
    integral = all(n.is_integer() and abs(n) < 1e15 for n in finite)
    nonzero = [abs(n) for n in finite if n != 0.0]
    if fmt is not None:
        pass
    elif integral:
        fmt = "{:.0f}"
    elif nonzero and (min(nonzero) < 1e-3 or max(nonzero) >= 1e5):
        fmt = "{:.3e}"
    else:
        smallest = min(nonzero) if nonzero else 1.0
        decimals = min(_MAX_DECIMALS, max(0, 3 - math.floor(math.log10(smallest))))
        fmt = f"{{:.{decimals}f}}"
    out = []
    for v in values:
        if _is_missing(v):
            out.append(missing)
        else:
            n = _number(v)
            out.append(fmt.format(n) if math.isfinite(n) else str(n))
    return out


def markdown_table(header, rows, *, missing="", formats=None):
    """A Markdown table whose numeric columns each have one format (:func:`format_column`).

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequences
        Cells, row by row; short rows are padded with missing values.
    missing : str, default=""
        What a missing value prints as.
    formats : dict of str to str, optional
        Column name -> one format for that column (e.g. ``{"paper ours": "{:.2f}"}``, numbers
        quoted from a paper at their published precision).

    Returns
    -------
    str
        The table, ending with a newline.
    """
    header = [str(h) for h in header]
    width = len(header)
    rows = [(list(r) + [None] * width)[:width] for r in rows]
    formats = formats or {}
    columns = [format_column([r[j] for r in rows], missing=missing, fmt=formats.get(header[j]))
               for j in range(width)]

    def cell(text):
        return str(text).replace("|", "\\|") or " "

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * width]
    for i in range(len(rows)):
        lines.append("| " + " | ".join(cell(columns[j][i]) for j in range(width)) + " |")
    return "\n".join(lines) + "\n"




#: summary.md's columns: (heading, summary column stem, decimals)
_SUMMARY_COLUMNS = (
    ("accuracy", "accuracy", 3),
    ("DP difference", "demographic_parity_difference", 3),
    ("EO difference", "equalized_odds_difference", 3),
    ("node gap, aggregate F", "node_gap_aggregate", 4),
    ("node gap, final model", "node_gap_final_model", 3),
)


def summary_markdown(summary):
    """A per-method summary (:func:`fairlearn_online.plotting.summarize_over_seeds`) as markdown:
    one row per method (and lambda, when ``fairness_weight`` is a column), ``mean ± sd`` over
    the seeds, one number format per column, blank where a method has no such quantity (node
    gaps exist only for node-level fairness; baselines have no lambda).

    Parameters
    ----------
    summary : DataFrame
        ``method``, optionally ``fairness_weight``, and ``<metric>_mean`` / ``<metric>_std``
        columns.

    Returns
    -------
    str
        The table, ending with a newline.
    """
    present = [c for c in _SUMMARY_COLUMNS if f"{c[1]}_mean" in summary]
    swept = "fairness_weight" in summary
    header = ["method"] + (["lambda"] if swept else []) + [c[0] for c in present]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in summary.iterrows():
        cells = [str(row["method"])]
        if swept:
            weight = row["fairness_weight"]
            cells.append("" if _is_missing(weight) else f"{weight:g}")
        for _, stem, decimals in present:
            mean, sd = row[f"{stem}_mean"], row.get(f"{stem}_std", math.nan)
            if _is_missing(mean):
                cells.append("")
            elif _is_missing(sd):
                cells.append(f"{mean:.{decimals}f}")
            else:
                cells.append(f"{mean:.{decimals}f} ± {sd:.{decimals}f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
