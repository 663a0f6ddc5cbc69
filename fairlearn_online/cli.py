"""Command line: ``fairlearn-online list`` and ``fairlearn-online run NAME``."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fairlearn-online", description="Run the reproduced experiments of fairlearn_online.")
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
    run.add_argument("--out", default=None, help="output folder (default: results/NAME)")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar (default: only on a terminal)")
    report = sub.add_parser(
        "report", help="redraw the figures and summary tables of a finished run from its CSVs")
    report.add_argument("name", help="experiment name (see `fairlearn-online list`)")
    report.add_argument("--out", default=None,
                        help="folder of the finished run (default: results/NAME)")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from .experiments import list_experiments, render_report, run_experiment

    if args.command == "list":
        for exp in list_experiments():
            print(f"{exp.name:24s} {exp.description}")
        return 0
    if args.command == "report":
        out = args.out or f"results/{args.name}"
        try:
            tables = render_report(args.name, out)
        except ValueError as exc:
            print(f"fairlearn-online: error: {exc}", file=sys.stderr)
            return 2
        print(f"{args.name}: redrew the figures of {out}/ from {', '.join(sorted(tables))}")
        return 0
    try:
        out = args.out or f"results/{args.name}"
        tables = run_experiment(args.name, quick=args.quick, seeds=args.seeds, n_jobs=args.n_jobs,
                                backend=args.backend, scheduler=args.scheduler, out=out,
                                progress=args.progress)
    except ValueError as exc:
        print(f"fairlearn-online: error: {exc}", file=sys.stderr)
        return 2
    sizes = ", ".join(f"{name}: {len(frame)} rows" for name, frame in tables.items())
    print(f"{args.name}: wrote {sizes} and figures to {out}/")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
