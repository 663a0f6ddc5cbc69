"""Command line: ``fairlearn-online list``, ``run NAME``, ``report NAME``, ``monitor FILE``,
``compile`` and ``--version``.

The arguments (the output folder included) are checked before the library and its experiments
are imported, so a mistake is reported in well under a second, before any computation.
Errors are one line on stderr and exit status 2; an interrupt exits with 130.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import __version__
from ._monitor_cli import add_monitor_parser, run_monitor
from ._results_dir import check_output_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairlearn-online", description="Run the reproduced experiments of fairlearn_online.")
    parser.add_argument("--version", action="version",
                        version=f"fairlearn-online {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    run = sub.add_parser("run", help="run an experiment, writing CSV tables and PNG/SVG figures")
    run.add_argument("name", help="experiment name (see `fairlearn-online list`)")
    run.add_argument("--quick", action="store_true", help="small grid and few seeds (smoke run)")
    run.add_argument("--seeds", type=int, default=None, help="number of seeds / stream orders")
    run.add_argument("--n-jobs", type=int, default=1, help="parallel workers (-1: all cores)")
    run.add_argument("--backend", choices=("loky", "dask"), default="loky",
                     help="joblib backend; dask needs the [dask] extra")
    run.add_argument("--scheduler", default=None,
                     help="address of a running Dask scheduler (default: start a local cluster)")
    run.add_argument("--out", default=None,
                     help="output folder (default: results/NAME), replaced as a whole once the "
                          "run has written everything")
    run.add_argument("--protocol", default=None,
                     help="variant of the experiment, e.g. `paper` for adult-frontier")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar (default: a bar on a terminal, else one line per point)")
    report = sub.add_parser(
        "report", help="redraw the figures and summary tables of a finished run from its CSVs")
    report.add_argument("name", help="experiment name (see `fairlearn-online list`)")
    report.add_argument("--out", default=None,
                        help="folder of the finished run (default: results/NAME)")
    add_monitor_parser(sub)
    compile_ = sub.add_parser(
        "compile", help="compile the numba kernels into numba's cache ahead of their first use "
                        "(e.g. while a container image is built)")
    compile_.add_argument("estimators", nargs="*", metavar="ESTIMATOR",
                          help="class names (default: every streaming estimator)")
    compile_.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                          help="processes compiling at once, one estimator class each "
                               "(default: 1; -1: every CPU)")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _command(args)
    except (ValueError, OSError) as exc:
        print(f"fairlearn-online: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = " (the output folder was left as it was)" if args.command == "run" else ""
        print(f"fairlearn-online: interrupted{kept}", file=sys.stderr)
        return 130


def _command(args) -> int:
    if args.command == "monitor":
        return run_monitor(args)
    if args.command == "compile":
        from .precompile import check_estimators, check_n_jobs, precompile

        names = check_estimators(args.estimators or None)
        check_n_jobs(args.jobs, name="--jobs")
        from ._core.jit import cache_location, describe_location

        start = time.perf_counter()
        seconds = precompile(names, progress=True, n_jobs=args.jobs)
        print(f"compiled the kernels of {len(seconds)} estimator variants in "
              f"{time.perf_counter() - start:.1f} s ({describe_location(cache_location())})")
        return 0
    if args.command == "run":
        out = args.out or f"results/{args.name}"
        try:
            check_output_dir(out)
        except ValueError as exc:
            raise ValueError(f"--out: {exc}") from None
    from .experiments import list_experiments, render_report, run_experiment

    if args.command == "list":
        for exp in list_experiments():
            print(f"{exp.name:24s} {exp.description}")
        return 0
    if args.command == "report":
        out = args.out or f"results/{args.name}"
        tables = render_report(args.name, out)
        print(f"{args.name}: redrew the figures of {out}/ from {', '.join(sorted(tables))}")
        return 0
    tables = run_experiment(args.name, quick=args.quick, seeds=args.seeds, n_jobs=args.n_jobs,
                            backend=args.backend, scheduler=args.scheduler, out=out,
                            progress=args.progress, protocol=args.protocol)
    sizes = ", ".join(f"{name}: {len(frame)} rows" for name, frame in tables.items())
    print(f"{args.name}: wrote {sizes} and figures to {out}/")
    return 0


def _one_line(exc) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename is not None else "")
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
