"""AranyaniClassifier throughput on the Adult stream against river's Hoeffding trees.

Every timing is one full prequential pass over ``adult.data`` (32,561 rows, the Aranyani
protocol of ``load_stream``): ours is ``partial_fit_predict`` (predict then learn each sample,
in one compiled kernel); river's is ``predict_one`` then ``learn_one`` per sample, with the
rows already converted to dicts outside the timed loop. Numba compilation is cached and
excluded by the harness's warm-up call. Run: ``python benchmarks/run.py forest``.
"""

from __future__ import annotations

from harness import Timing, benchmark, best_time

from fairlearn_online.datasets import load_stream
from fairlearn_online.forest import AranyaniClassifier


def _river_pass(model_cls, rows, y):
    def run():
        model = model_cls()
        for x, label in zip(rows, y):
            model.predict_one(x)
            model.learn_one(x, label)
    return run


def _ours_pass(X, y, g, **params):
    def run():
        AranyaniClassifier(random_state=0, **params).partial_fit_predict(
            X, y, sensitive_features=g)
    return run


@benchmark
def forest_vs_river():
    X, y, g = load_stream("adult", random_state=0)
    n = len(y)
    out = []
    try:
        from river import tree
    except ImportError:  # pragma: no cover - river is an optional extra
        tree = None
    peers = {}
    if tree is not None:
        rows = [{f"x{j}": v for j, v in enumerate(r)} for r in X.tolist()]
        labels = [int(v) for v in y]
        peers["river HoeffdingTreeClassifier"] = best_time(
            _river_pass(tree.HoeffdingTreeClassifier, rows, labels), repeat=2, warmup=0)
        peers["river HoeffdingAdaptiveTreeClassifier"] = best_time(
            _river_pass(lambda: tree.HoeffdingAdaptiveTreeClassifier(seed=0), rows, labels),
            repeat=1, warmup=0)
    variants = {
        "aranyani lambda=0": {},
        "aranyani lambda=10 (aggregate, nodes)": {"fairness_weight": 10.0},
        "aranyani lambda=100 (output target)": {"fairness_weight": 100.0,
                                                "fairness_target": "output"},
    }
    for name, params in variants.items():
        ours = best_time(_ours_pass(X, y, g, **params), repeat=3, warmup=1)
        if not peers:
            out.append(Timing(f"{name}, adult pass", ours, None, None, n, "samples"))
        for peer, seconds in peers.items():
            out.append(Timing(f"{name}, adult pass", ours, seconds, peer, n, "samples",
                              note=f"{n / ours:,.0f} samples/s"))
    return out


@benchmark
def reservoir_vs_aggregate():
    """What the O(1) aggregate statistics save against the 500-per-group reservoir baseline."""
    X, y, g = load_stream("adult", random_state=0)
    X, y, g = X[:5000], y[:5000], g[:5000]
    ours = best_time(_ours_pass(X, y, g, fairness_weight=10.0), repeat=3, warmup=1)
    peer = best_time(_ours_pass(X, y, g, fairness_weight=10.0, fairness_memory="reservoir"),
                     repeat=1, warmup=1)
    return [Timing("aranyani aggregate vs reservoir(500/group), 5k adult rows", ours, peer,
                   "reservoir fairness memory", len(y), "samples")]


if __name__ == "__main__":  # pragma: no cover
    for func in (forest_vs_river, reservoir_vs_aggregate):
        for timing in func():
            print(timing.row())
