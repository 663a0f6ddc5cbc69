"""Where the cold start goes: ``python benchmarks/compile_profile.py [--runs N]``.

Runs the cold start of ``bench_one_event.one_event_cold_start`` (first ``fit`` on 2,000 Adult
rows + ``predict`` of ``AranyaniClassifier(n_trees=3, depth=4, fairness_weight=10)``) in fresh
processes with empty numba cache directories, and prints for each run the wall and CPU time and,
per compiled function, numba's compile time: its own (``self``, the callees' compilations
subtracted) and with the callees it compiled (``incl``), from numba's ``numba:compile`` events.

This machine's speed moves a cold start by up to a third between runs of the same code; to
judge a change to the kernels, run this before and after it, alternately, several times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = """
import collections, json, time
from numba.core import event

own = collections.Counter()
total = collections.Counter()
stack = []


class Recorder(event.Listener):
    def on_start(self, ev):
        stack.append([ev.data["dispatcher"].py_func.__qualname__, time.perf_counter(), 0.0])

    def on_end(self, ev):
        name, start, callees = stack.pop()
        took = time.perf_counter() - start
        total[name] += took
        own[name] += took - callees
        if stack:
            stack[-1][2] += took


event.register("numba:compile", Recorder())
from fairlearn_online import AranyaniClassifier
from fairlearn_online.datasets import load_stream

X, y, g = load_stream("adult", random_state=0)
X, y, g = X[:2000], y[:2000], g[:2000]
wall, cpu = time.perf_counter(), time.process_time()
est = AranyaniClassifier(n_trees=3, depth=4, fairness_weight=10.0, random_state=0)
est.fit(X, y, sensitive_features=g)
est.predict(X[:100])
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "own": dict(own), "total": dict(total)}))
"""


def cold_run() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache,
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(_SCRIPT)], env=env,
                             capture_output=True, text=True, check=True, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold runs, each in a new process")
    args = parser.parse_args(argv)
    for run in range(1, args.runs + 1):
        row = cold_run()
        print(f"run {run}: first fit + predict {row['wall']:.2f} s wall, {row['cpu']:.2f} s CPU; "
              f"compile events {sum(row['own'].values()):.2f} s", flush=True)
        for name, took in sorted(row["own"].items(), key=lambda kv: -kv[1]):
            print(f"  self {took:6.2f} s  incl {row['total'][name]:6.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
