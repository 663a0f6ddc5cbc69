"""Monitoring benchmarks: StreamingMetricFrame throughput, per-event cost, interval coverage.

Run: ``python benchmarks/run.py monitor`` (``monitor_coverage`` alone takes a few minutes).

* ``frame_chunks``: 10^6 events in chunks of 10^4 through ``StreamingMetricFrame.update``
  (selection rate, TPR, FPR, accuracy; 4 groups as int codes, a categorical or strings;
  cumulative, window of 10^5, decay), vs fairlearn's ``MetricFrame`` computed once on all rows
  (a batch peer: what the stream replaces);
* ``frame_one_event``: 10^5 single events through ``update(y, p, sensitive_features=label)``
  vs river's ``metrics.Accuracy().update`` per event (no groups: a lower bound for a per-event
  Python metric);
* ``monitor_coverage``: simultaneous coverage of the 95% confidence sequence over 1,000 streams
  of 10^5 Bernoulli events (p = 0.05, 0.5), the exact pointwise coverage of the Wilson and
  Clopper-Pearson intervals (n = 30, 100, 1000; 801 rates, from the binomial distribution) and
  the simulated coverage of Newcombe's interval over 20,000 replicates.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from harness import Timing, benchmark, compare

from fairlearn_online.metrics import (
    StreamingMetricFrame,
    binomial_coverage,
    clopper_pearson_interval,
    newcombe_interval,
    normal_mixture_radius,
    wilson_interval,
)

METRICS = ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"]


@benchmark
def frame_chunks():
    rng = np.random.default_rng(0)
    n, chunk = 10**6, 10**4
    y, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    codes = rng.integers(0, 4, n)
    labels = np.array(["a", "b", "c", "d"])[codes]
    groups = {"int": codes, "categorical": pd.Series(pd.Categorical(labels)), "str": labels}

    def peer():
        from fairlearn.metrics import (MetricFrame, false_positive_rate, selection_rate,
                                       true_positive_rate)
        from sklearn.metrics import accuracy_score

        return MetricFrame(metrics={"selection_rate": selection_rate,
                                    "true_positive_rate": true_positive_rate,
                                    "false_positive_rate": false_positive_rate,
                                    "accuracy": accuracy_score},
                           y_true=y, y_pred=p, sensitive_features=codes).by_group

    rows = []
    for kind in ({}, {"window": 10**5}, {"decay": 0.9999}):
        for name, sf in groups.items():
            def ours(sf=sf, kind=kind):
                frame = StreamingMetricFrame(METRICS, **kind)
                for a in range(0, n, chunk):
                    frame.update(y[a:a + chunk], p[a:a + chunk], sensitive_features=sf[a:a + chunk])
                return frame.by_group

            label = next(iter(kind.items()), ("cumulative", ""))
            rows.append(compare(f"update 1e6 events, chunks 1e4, {name} groups, "
                                f"{label[0]}{label[1] and '=' + str(label[1])}", ours,
                                peer if name == "int" else None,
                                peer_name="fairlearn MetricFrame (batch, once)", repeat=3,
                                unit_count=n, unit="events"))
            rows[-1].note = f"{n / rows[-1].ours_seconds:.3g} events/s"
    return rows


@benchmark
def frame_one_event():
    from river import metrics as river_metrics

    rng = np.random.default_rng(1)
    n = 10**5
    y = rng.integers(0, 2, n).tolist()
    p = rng.integers(0, 2, n).tolist()
    g = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)].tolist()
    rows = []
    for kind in ({}, {"window": 1000}, {"decay": 0.999}):
        def ours(kind=kind):
            frame = StreamingMetricFrame(METRICS, **kind)
            update = frame.update
            for i in range(n):
                update(y[i], p[i], sensitive_features=g[i])
            return frame.by_group

        def peer():
            metric = river_metrics.Accuracy()
            for i in range(n):
                metric.update(y[i], p[i])
            return metric.get()

        name = next(iter(kind.items()), ("cumulative", ""))
        timing = compare(f"update one event x 1e5, {name[0]}"
                         f"{name[1] and '=' + str(name[1])}", ours, peer,
                         peer_name="river metrics.Accuracy().update (no groups)", repeat=3,
                         unit_count=n, unit="events")
        timing.note = f"{timing.ours_seconds / n * 1e6:.2f} us per event (reads included)"
        rows.append(timing)
    return rows


def _sequence_coverage(n_streams, n_events, p, seed, block=25):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n_events + 1)
    radius = normal_mixture_radius(t, 0.95)
    covered = 0
    for start in range(0, n_streams, block):
        m = min(block, n_streams - start)
        sums = np.cumsum(rng.random((m, n_events)) < p, axis=1)
        covered += int(np.sum(np.all(np.abs(sums / t - p) <= radius, axis=1)))
    return covered / n_streams


@benchmark
def monitor_coverage():
    rows = []
    for p in (0.05, 0.5):
        start = time.perf_counter()
        cover = _sequence_coverage(1000, 10**5, p, seed=11)
        rows.append(Timing(f"confidence sequence 95%, 1000 streams x 1e5, p={p}",
                           time.perf_counter() - start, None, unit_count=10**8, unit="events",
                           note=f"simultaneous coverage {cover:.3f} (target >= 0.95)"))
    rates = np.linspace(0.1, 0.9, 801)
    for name, interval in (("Wilson", wilson_interval), ("Clopper-Pearson", clopper_pearson_interval)):
        start = time.perf_counter()
        notes = []
        for n in (30, 100, 1000):
            covers = binomial_coverage(interval, n, rates)
            notes.append(f"n={n}: mean {covers.mean():.4f} min {covers.min():.4f} "
                         f"within 1 point at {np.mean(np.abs(covers - 0.95) <= 0.01):.0%} of rates")
        rows.append(Timing(f"{name} 95% exact coverage, 801 rates in 0.1..0.9",
                           time.perf_counter() - start, None, note="; ".join(notes)))
    rng = np.random.default_rng(12)
    start = time.perf_counter()
    covers = []
    for (n1, p1), (n2, p2) in [((30, 0.3), (50, 0.5)), ((100, 0.2), (100, 0.25)),
                               ((400, 0.6), (200, 0.5)), ((30, 0.1), (30, 0.1))]:
        s1, s2 = rng.binomial(n1, p1, 20_000), rng.binomial(n2, p2, 20_000)
        lo, hi = newcombe_interval(s1, n1, s2, n2)
        covers.append(np.mean((lo <= p1 - p2) & (p1 - p2 <= hi)))
    rows.append(Timing("Newcombe 95% pointwise coverage, 4 designs, 20,000 reps",
                       time.perf_counter() - start, None,
                       note=", ".join(f"{c:.4f}" for c in covers)))
    return rows


def _drift_stream(n, seed, change=None, gap=0.1, base=0.4):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    rate = np.full(n, base)
    if change is not None:
        rate = rate + np.where(np.arange(n) >= change, np.where(g == 0, gap / 2, -gap / 2), 0.0)
    return (rng.random(n) < rate).astype(np.int8), g


def _alarms(y_pred, g, chunk=10**4):
    from fairlearn_online.metrics import FairnessDriftDetector

    detector = FairnessDriftDetector()
    for a in range(0, len(y_pred), chunk):
        detector.update(None, y_pred[a:a + chunk], sensitive_features=g[a:a + chunk])
    return detector.alarms_


@benchmark
def drift_detector():
    """False alarms on 200 stationary streams of 10^6 events; delay after a DP jump 0 -> 0.1."""
    start = time.perf_counter()
    false = [bool(_alarms(*_drift_stream(10**6, s))) for s in range(200)]
    fa_time = time.perf_counter() - start
    start = time.perf_counter()
    delays = []
    for s in range(200):
        alarms = _alarms(*_drift_stream(300_000, 10_000 + s, change=200_000))
        after = [a["n_samples"] - 200_000 for a in alarms if a["n_samples"] > 200_000]
        delays.append(after[0] if after else np.inf)
    delays = np.array(delays, dtype=float)
    return [
        Timing("FairnessDriftDetector, 200 stationary streams x 1e6", fa_time, None,
               unit_count=2e8, unit="events",
               note=f"streams without alarm {1 - np.mean(false):.3f} (target >= 0.95)"),
        Timing("FairnessDriftDetector, DP gap 0 -> 0.1 at 2e5, 200 streams",
               time.perf_counter() - start, None,
               note=(f"median delay {np.median(delays):.0f} events, 90% {np.percentile(delays, 90):.0f}, "
                     f"missed {int(np.sum(~np.isfinite(delays)))} (target median <= 5000)")),
    ]
