"""Tiny benchmark harness: time our code and a peer in the same process, report the ratio.

A benchmark module defines functions decorated with :func:`benchmark`; each returns a list of
:class:`Timing` (usually from :func:`compare`). ``python benchmarks/run.py [NAME ...]`` runs them
and prints one row per comparison; ``--json FILE`` also writes the rows.
"""

from __future__ import annotations

import gc
import time
from dataclasses import asdict, dataclass
from typing import Callable

_BENCHMARKS: dict[str, Callable] = {}


@dataclass
class Timing:
    name: str
    ours_seconds: float
    peer_seconds: float | None
    peer: str | None = None
    unit_count: float | None = None
    unit: str = "items"
    note: str = ""

    @property
    def speedup(self) -> float | None:
        if self.peer_seconds is None:
            return None
        return self.peer_seconds / self.ours_seconds

    def row(self) -> dict:
        row = asdict(self)
        row["speedup"] = self.speedup
        if self.unit_count:
            row[f"ours_{self.unit}_per_s"] = self.unit_count / self.ours_seconds
            if self.peer_seconds:
                row[f"peer_{self.unit}_per_s"] = self.unit_count / self.peer_seconds
        return row


def benchmark(func: Callable) -> Callable:
    """Register a benchmark function (no arguments, returns a list of Timing)."""
    _BENCHMARKS[func.__module__.split(".")[-1] + "." + func.__name__] = func
    return func


def best_time(func: Callable, *, repeat: int = 3, warmup: int = 1) -> float:
    """Best wall-clock time of ``repeat`` calls after ``warmup`` untimed calls (JIT, caches)."""
    for _ in range(warmup):
        func()
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def compare(name: str, ours: Callable, peer: Callable | None, *, peer_name: str | None = None,
            repeat: int = 3, warmup: int = 1, peer_repeat: int | None = None,
            unit_count: float | None = None, unit: str = "items", note: str = "") -> Timing:
    """Time ``ours`` and ``peer`` in this process; the ratio is peer time / our time."""
    ours_s = best_time(ours, repeat=repeat, warmup=warmup)
    peer_s = None
    if peer is not None:
        peer_s = best_time(peer, repeat=peer_repeat or repeat, warmup=warmup)
    return Timing(name, ours_s, peer_s, peer_name, unit_count, unit, note)
