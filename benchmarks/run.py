"""Run the benchmarks: ``python benchmarks/run.py [--json out.json] [substring ...]``.

Every ``bench_*.py`` module beside this file is imported; its ``@benchmark`` functions run in
this process, so our timings and the peers' are measured on the same machine in the same run.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("select", nargs="*", help="run only benchmarks whose name contains one of these")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    for path in sorted(HERE.glob("bench_*.py")):
        importlib.import_module(path.stem)
    rows = []
    for name, func in harness._BENCHMARKS.items():
        if args.select and not any(s in name for s in args.select):
            continue
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
