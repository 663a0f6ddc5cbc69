"""Experiment registry and runner (docs/experiments.md).

An :class:`Experiment` declares a grid of points (method, parameters, seed) and how to run one
point; the runner evaluates the points in parallel with joblib (the ``loky`` backend locally, or
a Dask cluster through joblib's ``dask`` backend), writes every table as a tidy CSV and lets the
experiment draw its figures (PNG and SVG) into the output folder.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import joblib
import pandas as pd

from .._results_dir import ResultsFolder
from ..utils import progress_bar

__all__ = ["Experiment", "register", "get_experiment", "list_experiments", "run_experiment",
           "render_report", "available_methods"]

_REGISTRY: dict[str, "Experiment"] = {}

#: methods left out of the grid being built because an optional extra is missing
_SKIPPED: list[dict] = []


def available_methods(methods, *, requires):
    """The methods of ``methods`` whose optional dependencies are installed.

    A grid calls this for methods that need an optional extra; each method left out is
    reported by :func:`run_experiment` on stderr and in ``run.json``.

    Parameters
    ----------
    methods : iterable of str
    requires : dict of str to (str, str)
        Method -> (importable module, extra that installs it), e.g.
        ``{"hoeffding-tree": ("river", "baselines")}``. Methods not listed need nothing.

    Returns
    -------
    kept : list of str
    """
    kept = []
    for method in methods:
        module, extra = requires.get(method, (None, None))
        if module is None or importlib.util.find_spec(module) is not None:
            kept.append(method)
        elif not any(s["method"] == method for s in _SKIPPED):
            _SKIPPED.append(dict(method=method, missing=module,
                                 install=f"pip install 'fairlearn_online[{extra}]'"))
    return kept


@dataclass(frozen=True)
class Experiment:
    """A reproducible experiment.

    Parameters
    ----------
    name : str
        Command-line name, e.g. ``"adult-frontier"``.
    description : str
        One line shown by ``fairlearn-online list``.
    grid : callable ``(quick: bool, seeds: int) -> list[dict]``
        The points to run. Each point is a dict of plain values (method, parameters, seed...).
    run_point : callable ``(point: dict) -> dict[str, list[dict]]``
        Runs one point and returns rows for one or more named tables (e.g. ``{"results": [...],
        "curves": [...]}``). Every row should carry the point's keys so that tables are tidy.
    report : callable, optional
        ``report(tables: dict[str, DataFrame], out_dir: Path, quick: bool) -> None``: draws
        figures and summary tables from the collected tables.
    default_seeds : int
        Number of seeds when ``--seeds`` is not given.
    quick_seeds : int
        Number of seeds with ``--quick``.
    tags : tuple of str, default=()
        Free labels of the experiment (the runner does not read them).
    protocols : tuple of str
        Named variants of the experiment (``--protocol``), the first the default; when given,
        ``grid`` is called as ``grid(quick, seeds, protocol)``.
    """

    name: str
    description: str
    grid: Callable[[bool, int], list]
    run_point: Callable[[dict], dict]
    report: Callable | None = None
    default_seeds: int = 5
    quick_seeds: int = 2
    tags: tuple = field(default_factory=tuple)
    protocols: tuple = ()


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry used by ``fairlearn-online run``.

    Parameters
    ----------
    experiment : Experiment

    Returns
    -------
    experiment : Experiment
        The same object (so ``register`` can wrap a module-level definition).
    """
    if experiment.name in _REGISTRY:
        raise ValueError(f"An experiment named {experiment.name!r} is already registered.")
    _REGISTRY[experiment.name] = experiment
    return experiment


def _load_all():
    # importing the package imports every experiment module, which registers itself
    from . import _discover  # noqa: F401


def list_experiments() -> list[Experiment]:
    """All registered experiments, sorted by name.

    Returns
    -------
    experiments : list of Experiment
    """
    _load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_experiment(name: str) -> Experiment:
    """The registered experiment called ``name``.

    Parameters
    ----------
    name : str
        As ``fairlearn-online list`` prints it.

    Returns
    -------
    experiment : Experiment

    Raises
    ------
    ValueError
        For a name that no experiment registered (the message lists those that are).
    """
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"Unknown experiment {name!r}; available: {', '.join(sorted(_REGISTRY))}."
        ) from None


def _run_point(run_point, point):
    start = time.perf_counter()
    tables = run_point(point)
    if isinstance(tables, list):
        tables = {"results": tables}
    elapsed = time.perf_counter() - start
    for rows in tables.values():
        for row in rows:
            for key, value in point.items():
                row.setdefault(key, value)
    tables.setdefault("results", [])
    for row in tables["results"]:
        row.setdefault("seconds", elapsed)
    return point, elapsed, tables


def _point_label(point) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items())


def run_experiment(name, *, quick=False, seeds=None, n_jobs=1, backend="loky",
                   scheduler=None, out=None, progress=None, protocol=None):
    """Run a registered experiment and write its tables and figures.

    Parameters
    ----------
    name : str
        Registered experiment name (see :func:`list_experiments`).
    quick : bool, default=False
        Small grid and fewer seeds, for a smoke run.
    seeds : int, optional
        Number of seeds (stream orders); defaults to the experiment's.
    n_jobs : int, default=1
        Parallel workers (joblib semantics: -1 = all cores).
    backend : {"loky", "dask"}, default="loky"
        ``"dask"`` sends the points to a Dask cluster through joblib's dask backend
        (needs the ``dask`` extra).
    scheduler : str, optional
        Address of a running Dask scheduler; a local cluster is started when omitted.
    out : str or Path, optional
        Output folder; default ``results/<name>``. Checked before anything is computed (a
        ``ValueError`` if it is a file, lies under a file, holds files other than a previous
        run's, or cannot be written). Everything is written to a staging folder beside it that
        replaces it only once every table, figure and ``run.json`` is written: an interrupt or
        an error leaves the previous results untouched.
    progress : bool, optional
        ``True``: a progress bar; ``False``: silent; default: a bar on a terminal, otherwise one
        line per finished point on stderr (its parameters and seconds), for logs.
    protocol : str, optional
        One of the experiment's ``protocols``; default its first.

    Returns
    -------
    tables : dict of str to DataFrame
    """
    experiment = get_experiment(name)
    if backend not in ("loky", "dask"):
        raise ValueError(f"backend must be 'loky' or 'dask', got {backend!r}.")
    if seeds is None:
        seeds = experiment.quick_seeds if quick else experiment.default_seeds
    if int(seeds) < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}.")
    if protocol is not None and protocol not in experiment.protocols:
        raise ValueError(f"protocol must be one of {list(experiment.protocols)} for {name!r}, "
                         f"got {protocol!r}." if experiment.protocols else
                         f"{name!r} has no protocols; got protocol={protocol!r}.")
    if experiment.protocols and protocol is None:
        protocol = experiment.protocols[0]
    results = ResultsFolder(out if out is not None else Path("results") / name)
    del _SKIPPED[:]
    points = (experiment.grid(quick, int(seeds), protocol) if experiment.protocols
              else experiment.grid(quick, int(seeds)))
    skipped = list(_SKIPPED)
    for s in skipped:
        print(f"{name}: skipping method {s['method']}: {s['missing']} is not installed "
              f"({s['install']})", file=sys.stderr)
    if progress is None:
        progress = sys.stderr.isatty()
        log_lines = not progress  # one line per finished point in logs (CI, nohup)
    else:
        log_lines = False

    start = time.perf_counter()
    client = None
    if backend == "dask":
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ImportError(
                "backend='dask' needs the dask extra: pip install 'fairlearn_online[dask]'"
            ) from exc
        # A local cluster starts worker processes: scripts calling this need the usual
        # ``if __name__ == "__main__":`` guard (the console script has it).
        client = Client(scheduler) if scheduler else Client(
            n_workers=max(1, n_jobs if n_jobs > 0 else joblib.cpu_count()),
            threads_per_worker=1, dashboard_address=None)
    try:
        config = dict(backend="dask") if backend == "dask" else dict(backend="loky", n_jobs=n_jobs)
        with joblib.parallel_config(**config):
            parallel = joblib.Parallel(
                return_as="generator_unordered" if n_jobs != 1 else "generator")
            jobs = (joblib.delayed(_run_point)(experiment.run_point, p) for p in points)
            collected: dict[str, list] = {}
            done = 0
            for point, elapsed, tables in progress_bar(parallel(jobs), total=len(points),
                                                       desc=name, enable=progress):
                done += 1
                if log_lines:
                    print(f"{name}: {done}/{len(points)} {_point_label(point)} "
                          f"{elapsed:.1f} s", file=sys.stderr, flush=True)
                for table, rows in tables.items():
                    collected.setdefault(table, []).extend(rows)
    finally:
        if client is not None:
            client.close()

    frames = {table: pd.DataFrame(rows) for table, rows in collected.items()}
    with results as out_dir:
        for table, frame in frames.items():
            frame.to_csv(out_dir / f"{table}.csv", index=False)
        _report(experiment, frames, out_dir, quick)
        meta = dict(experiment=name, quick=quick, seeds=int(seeds), n_points=len(points),
                    n_jobs=n_jobs, backend=backend,
                    seconds=round(time.perf_counter() - start, 2),
                    python=sys.version.split()[0], tables=sorted(frames),
                    skipped_methods=skipped, **({"protocol": protocol} if protocol else {}))
        (out_dir / "run.json").write_text(json.dumps(meta, indent=2))
    return frames


def render_report(name, folder, *, quick=None):
    """Redraw the figures and summary tables of a finished run from its CSV tables.

    Reads the tables the run wrote into ``folder`` (those listed in its ``run.json``, or every
    CSV of the folder for a run that predates the list) and calls the experiment's report on
    them, so a figure can be improved without repeating a long run. ``run.json`` is left as
    the run wrote it. The folder is replaced as a whole once every figure is drawn (a copy
    is redrawn next to it), so an interrupt or error leaves the previous results untouched.

    Parameters
    ----------
    name : str
        Registered experiment name.
    folder : str or Path
        Output folder of an earlier ``run_experiment(name, out=folder)``.
    quick : bool, optional
        Whether the run was a quick one; default: as recorded in ``run.json``.

    Returns
    -------
    tables : dict of str to DataFrame
        The tables read.
    """
    experiment = get_experiment(name)
    folder = Path(folder)
    meta_path = folder / "run.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("experiment", name) != name:
        raise ValueError(f"{folder} holds a run of {meta['experiment']!r}, not of {name!r}.")
    names = meta.get("tables") or sorted(p.stem for p in folder.glob("*.csv"))
    missing = [t for t in names if not (folder / f"{t}.csv").exists()]
    if not names or missing:
        raise ValueError(f"{folder} has no CSV table of a run of {name!r}"
                         + (f" (missing: {', '.join(missing)})" if missing else "") + ".")
    frames = {t: pd.read_csv(folder / f"{t}.csv") for t in names}
    # into a copy of the folder that replaces it once every figure is drawn: an interrupt or
    # error leaves the previous figures and tables untouched (``_results_dir.py``)
    with ResultsFolder(folder, keep=True) as staging:
        _report(experiment, frames, staging,
                bool(meta.get("quick", False) if quick is None else quick))
    return frames


def _report(experiment, frames, folder, quick):
    """The experiment's figures and summary tables. Figures only go to files, so the
    non-interactive Agg backend is chosen here, once, rather than at the import of each
    experiment module (which switched the backend of any program importing one)."""
    if experiment.report is None:
        return
    import matplotlib

    matplotlib.use("Agg")
    experiment.report(frames, folder, quick)
