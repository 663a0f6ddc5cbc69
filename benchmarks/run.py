"""Run the benchmarks: ``python benchmarks/run.py [--json out.json] [NAME ...]``.

Every ``bench_*.py`` module beside this file is imported; its ``@benchmark`` functions run in
this process, so our timings and the peers' are measured on the same machine in the same run.
A NAME selects a module's benchmarks (``one_event`` for ``bench_one_event.py``) or one benchmark
(``frame_one_event``, or in full ``bench_monitor.frame_one_event``); none runs them all.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402


def _names_of(name: str) -> tuple[str, str, str]:
    """What selects the benchmark ``bench_module.function``: its full name, its module's name
    without ``bench_`` and the function's name."""
    module, function = name.split(".", 1)
    return name, module.removeprefix("bench_"), function


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("select", nargs="*", metavar="NAME",
                        help="a module (one_event) or a benchmark (frame_one_event) to run")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    for path in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(path.stem)
    chosen = [name for name in harness._BENCHMARKS
              if not args.select or set(args.select) & set(_names_of(name))]
    unknown = [s for s in args.select
               if not any(s in _names_of(name) for name in harness._BENCHMARKS)]
    if unknown:
        parser.error(f"no benchmark is called {', '.join(unknown)}; the benchmarks: "
                     + ", ".join(harness._BENCHMARKS))
    rows = []
    for name in chosen:
        func = harness._BENCHMARKS[name]
        print(f"# {name}", flush=True)
        for timing in func():
            row = timing.row()
            rows.append(row)
            ratio = "" if row["speedup"] is None else f"  ratio vs {row['peer']}: {row['speedup']:.1f}x"
            peer = "" if row["peer_seconds"] is None else f"  peer {row['peer_seconds']:.4f} s"
            print(f"{timing.name:50s} ours {timing.ours_seconds:.4f} s{peer}{ratio}"
                  + (f"  ({timing.note})" if timing.note else ""), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": platform.platform(), "python": platform.python_version(), "rows": rows},
            indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
