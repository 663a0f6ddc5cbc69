"""Distance covariance against the ``dcor`` package, in the same process (docs/user_guide/dcov.md).

(a) 1-D predictions vs race x sex (race one-hot, sex 0/1). Ours: the cell sweep from the raw
    categorical columns (CCdCov) and from the numeric one-hot matrix (the generic
    ``distance_covariance``, which detects the few distinct rows), all in float64. dcor:
    ``u_distance_covariance_sqr`` on the one-hot matrix (its naive path: the variable is
    multivariate, it builds n x n matrices), run once in a subprocess to measure its time and peak
    memory (resident set). dcor needs about 9 n^2 numbers. At n = 10,000 (``DCOV_BENCH_N_PEER``)
    it runs in float64 (about 7 GB); at n = 20,000 float64 would need about 29 GB, more than the
    23 GB of the benchmark machine (it was killed by the OOM killer), so there dcor runs on the same
    data cast to float32 (dcor keeps float32 throughout: half the memory, about 14 GB). Its
    float32 path is faster than its float64 one, so that ratio is conservative. Its float32 value
    is not accurate at this size (its float32 sums over n^2 terms; relative error against float64
    measured 7.6e-5 at n = 3,000, 9.8e-3 at 10,000, about 0.2 at 20,000), so that row compares time
    only: our float64 value is checked there against a float64 reference computed 500 rows of
    distances at a time (``_blocked_u_dcov``), and both relative differences are printed. If the
    child is killed, or too little memory is available (``MemAvailable`` below the estimate + 3 GB),
    the row is kept without a peer and the note says why. Peak memory is the child's own ``VmHWM``
    (``ru_maxrss`` of a fresh child also counts the parent's resident set at fork time on Linux).
(b) n = 1,000,000, ours alone (dcor would need several 8 TB matrices): value + gradient; time and
    peak memory of a fresh subprocess (resident set, which also counts numba's allocations).
(c) n = 100,000, 1-D vs 1-D numeric: ours (Fenwick tree) vs dcor's O(n log n) AVL and mergesort
    methods.

Run: ``python benchmarks/run.py dcov``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from harness import Timing, benchmark, best_time, compare

RACES = ["African-American", "Caucasian", "Hispanic", "Other", "Asian", "Native American"]
RACE_P = [0.51, 0.34, 0.08, 0.055, 0.01, 0.005]


def _race_sex(n, seed=0, onehot=True):
    rng = np.random.default_rng(seed)
    race = rng.choice(RACES, n, p=RACE_P)
    sex = rng.choice(["Male", "Female"], n, p=[0.8, 0.2])
    yhat = 1.0 / (1.0 + np.exp(-(0.4 * (race == "African-American") + 0.2 * (sex == "Male")
                                 + rng.normal(size=n))))
    sf = pd.DataFrame({"race": pd.Categorical(race), "sex": sex})
    if not onehot:
        return yhat, sf, None
    onehot = np.column_stack([pd.get_dummies(sf.race, dtype=float).to_numpy(),
                              (sf.sex == "Male").to_numpy(dtype=float)])
    return yhat, sf, onehot


#: Peak resident set of the child itself, in MB. ``ru_maxrss`` is not used: on Linux a fresh child
#: inherits in it the parent's resident set at fork time (measured: 1049 MB in a child of a parent
#: holding 1 GB), while ``VmHWM`` belongs to the child's own address space (set up at exec).
_PEAK_MB = r"""
def peak_mb():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_DCOR_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {bench_dir!r})
from bench_dcov import _race_sex
import dcor
yhat, sf, onehot = _race_sex({n})
yhat, onehot = yhat.astype(np.{dtype}), onehot.astype(np.{dtype})
dcor.u_distance_covariance_sqr(yhat[:200], onehot[:200])  # compile outside the timing
t = time.perf_counter()
value = dcor.u_distance_covariance_sqr(yhat, onehot)
seconds = time.perf_counter() - t
print(json.dumps(dict(seconds=seconds, peak_mb=peak_mb(), value=float(value),
                      dtype=str(value.dtype))))
"""


def _mem_available_gb():
    """``MemAvailable`` of /proc/meminfo in GB (None where there is no /proc/meminfo)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2 ** 20
    except OSError:
        pass
    return None


def _dcor_in_subprocess(n, dtype="float64"):
    """dcor's time, value and peak RSS, isolated (it allocates about nine n x n matrices).

    Returns ``(result, None)`` or ``(None, reason)`` when the child is not started (too little
    memory available) or fails (e.g. killed by the OOM killer), so the caller keeps its rows.
    """
    from pathlib import Path

    need_gb = 9 * n ** 2 * np.dtype(dtype).itemsize / 2 ** 30
    avail_gb = _mem_available_gb()
    if avail_gb is not None and avail_gb < need_gb + 3:
        return None, (f"dcor {dtype} not run: it needs about {need_gb:.0f} GB, "
                      f"{avail_gb:.0f} GB available")
    bench_dir = str(Path(__file__).resolve().parent)
    code = _PEAK_MB + _DCOR_CHILD.format(bench_dir=bench_dir, n=n, dtype=dtype)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        how = (f"killed by signal {-out.returncode} (-9: likely the OOM killer)"
               if out.returncode < 0 else f"exit status {out.returncode}")
        tail = out.stderr.strip().splitlines()[-1:] or [""]
        return None, f"dcor {dtype} child failed: {how} {tail[0]}".strip()
    return json.loads(out.stdout.strip().splitlines()[-1]), None


def _blocked_u_dcov(y, x, block=500):
    """Float64 U-centered dCov^2 by the pairwise formula, ``block`` rows of distances at a time.

    Szekely & Rizzo (2014), Prop. 1: with a_ij = |y_i - y_j|, b_ij = ||x_i - x_j|| and row sums
    a_i., b_i., dCov_U^2 = [sum_ij a_ij b_ij - 2/(n-2) sum_i a_i. b_i.
    + a.. b.. / ((n-1)(n-2))] / (n(n-3)).  A slow reference for n where dcor's float64 path does
    not fit in memory.
    """
    n = len(y)
    x = x.reshape(n, -1)
    a_row, b_row, s_ab = np.empty(n), np.empty(n), 0.0
    for start in range(0, n, block):
        a = np.abs(y[start:start + block, None] - y[None, :])
        b = np.sqrt(((x[start:start + block, None, :] - x[None, :, :]) ** 2).sum(-1))
        a_row[start:start + block], b_row[start:start + block] = a.sum(1), b.sum(1)
        s_ab += (a * b).sum()
    return (s_ab - 2 / (n - 2) * (a_row @ b_row)
            + a_row.sum() * b_row.sum() / ((n - 1) * (n - 2))) / (n * (n - 3))


#: dcor's naive path needs about 9 n^2 numbers (measured 7.2 GB peak RSS at n = 10,000 in
#: float64): at N_TARGET = 20,000 float64 would be about 29 GB, more than this 23 GB machine (it
#: was killed by the OOM killer), so dcor runs in float64 at N_PEER and in float32 (about 14 GB)
#: at N_TARGET.
N_PEER = int(os.environ.get("DCOV_BENCH_N_PEER", 10_000))
N_TARGET = 20_000
PEER_DTYPE = {N_PEER: "float64", N_TARGET: "float32"}


@benchmark
def one_hot_20k():
    from fairlearn_online.dcov import (
        concatenated_distance_covariance,
        concatenated_distance_covariance_grad,
        distance_covariance,
    )

    concatenated_distance_covariance_grad(np.arange(200.0), ["a", "b"] * 100)  # load the cache
    rows = []
    for n in (N_PEER, N_TARGET):
        dtype = PEER_DTYPE.get(n, "float64")
        peer, why_not = _dcor_in_subprocess(n, dtype)
        yhat, sf, onehot = _race_sex(n)
        ours_value = concatenated_distance_covariance(yhat, sf)
        if peer is not None:
            rel = abs(ours_value - peer["value"]) / abs(peer["value"])
            if dtype == "float64":
                note = (f"dcor float64, peak RSS {peer['peak_mb']:.0f} MB, one run; same value: "
                        f"rel. diff {rel:.1e}")
            else:
                ref = _blocked_u_dcov(yhat, onehot)
                note = (f"dcor on the data cast to {peer['dtype']} (half the memory of its float64 "
                        f"path, which does not fit here; faster than float64, so the ratio is "
                        f"conservative), peak RSS {peer['peak_mb']:.0f} MB, one run; time only: "
                        f"dcor's {peer['dtype']} value is off by rel. {rel:.1e} ({peer['dtype']} "
                        f"sums over n^2 terms), ours (float64) vs a blocked float64 reference: "
                        f"rel. diff {abs(ours_value - ref) / abs(ref):.1e}")
            peer_name = f"dcor.u_distance_covariance_sqr {dtype} (value)"
        for name, func in [
            (f"(a) CCdCov value, raw race x sex, n={n}",
             lambda: concatenated_distance_covariance(yhat, sf)),
            (f"(a) CCdCov value+grad, raw race x sex, n={n}",
             lambda: concatenated_distance_covariance_grad(yhat, sf)),
            (f"(a) dCov value, one-hot matrix, n={n}", lambda: distance_covariance(yhat, onehot)),
        ]:
            ours_s = best_time(func, repeat=5, warmup=1)
            if peer is not None:
                rows.append(Timing(name, ours_s, peer["seconds"], peer_name, n, "samples", note))
            else:
                rows.append(Timing(name, ours_s, None, None, n, "samples", why_not))
    return rows


_CHILD = r"""
import gc, json, sys, time, tracemalloc
import numpy as np
sys.path.insert(0, {bench_dir!r})
from bench_dcov import _race_sex
from fairlearn_online.dcov import concatenated_distance_covariance_grad
concatenated_distance_covariance_grad(np.arange(500.0), ["a", "b"] * 250)  # load the cache
yhat, sf, _ = _race_sex(1_000_000, seed=1, onehot=False)
gc.collect()
before = peak_mb()
tracemalloc.start()
value, grad = concatenated_distance_covariance_grad(yhat, sf)
numpy_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
del grad
peak = peak_mb()
times = []
for _ in range(3):
    t = time.perf_counter()
    value, grad = concatenated_distance_covariance_grad(yhat, sf)
    times.append(time.perf_counter() - t)
print(json.dumps(dict(seconds=min(times), peak_mb=peak, before_mb=before,
                      numpy_peak_mb=numpy_peak / 2 ** 20, value=value)))
"""


@benchmark
def one_hot_1m():
    from pathlib import Path

    code = _PEAK_MB + _CHILD.format(bench_dir=str(Path(__file__).resolve().parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    note = (f"peak RSS of the whole process {res['peak_mb']:.0f} MB (data + imports before the "
            f"call: {res['before_mb']:.0f} MB); numpy allocations of the call (tracemalloc) "
            f"{res['numpy_peak_mb']:.0f} MB")
    return [Timing("(b) CCdCov value+grad, raw race x sex, n=1M", res["seconds"], None, None,
                   1_000_000, "samples", note)]


@benchmark
def numeric_1d_100k():
    import dcor

    from fairlearn_online.dcov import distance_covariance

    n = 100_000
    rng = np.random.default_rng(2)
    x = rng.normal(size=n)
    y = x ** 2 + rng.normal(size=n)
    for method in ("avl", "mergesort"):
        dcor.u_distance_covariance_sqr(x[:100], y[:100], method=method)
    distance_covariance(x[:100], y[:100])
    ours = distance_covariance(x, y)
    rows = []
    for method in ("avl", "mergesort"):
        peer = float(dcor.u_distance_covariance_sqr(x, y, method=method))
        rows.append(compare(
            f"(c) dCov U 1-D vs 1-D, n=100k vs {method}", lambda: distance_covariance(x, y),
            lambda m=method: dcor.u_distance_covariance_sqr(x, y, method=m),
            peer_name=f"dcor {method}", repeat=3, unit_count=n, unit="samples",
            note=f"rel. diff {abs(ours - peer) / abs(peer):.1e}"))
    return rows
