"""Reproduced experiments, run with ``fairlearn-online run NAME``.

Each public module of this package defines one experiment (or a family) and registers it with
:func:`register`; the runner discovers them all.
"""

from ._runner import (
    Experiment,
    available_methods,
    get_experiment,
    list_experiments,
    register,
    render_report,
    run_experiment,
)
from ._tables import format_column, markdown_table

__all__ = ["Experiment", "available_methods", "get_experiment", "list_experiments", "register",
           "render_report", "run_experiment", "format_column", "markdown_table"]
