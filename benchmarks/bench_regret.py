"""GroupwiseRegretRegressor: rounds per second of the numba kernel vs plain numpy.

The peer is :func:`fairlearn_online.regret._reference.anh_ridge_reference`, the same algorithm
(AdaNormalHedge in log space over per-group Sherman-Morrison ridge experts) written round by
round with numpy operations vectorised over the experts. Same data, same process.

Run: ``python benchmarks/run.py regret``.
"""

from __future__ import annotations

import numpy as np
from harness import Timing, benchmark, best_time

from fairlearn_online.datasets import make_groupwise_regression
from fairlearn_online.regret import GroupwiseRegretRegressor
from fairlearn_online.regret._reference import anh_ridge_reference

N_ROUNDS = 100_000
N_FEATURES = 20


@benchmark
def groupwise_regret_rounds():
    d = make_groupwise_regression(N_ROUNDS, N_FEATURES, random_state=21)
    X, y, groups = d.data, d.target, d.groups          # 5 groups + always_on = 6 experts
    member = np.column_stack([np.ones(N_ROUNDS, bool), groups.to_numpy(bool)])
    Z = np.hstack([X, np.ones((N_ROUNDS, 1))])

    def ours():
        GroupwiseRegretRegressor(y_range=(0.0, 1.0)).fit(X, y, groups=groups)

    def peer():
        anh_ridge_reference(Z, y, member, y_range=(0.0, 1.0))

    # the two give the same predictions (checked here on the first rounds, and in the tests)
    check = GroupwiseRegretRegressor(y_range=(0.0, 1.0)).partial_fit_predict(
        X[:2000], y[:2000], groups=groups[:2000])
    ref, _ = anh_ridge_reference(Z[:2000], y[:2000], member[:2000], y_range=(0.0, 1.0))
    assert np.allclose(check, ref, rtol=1e-10, atol=1e-12)

    ours_s = best_time(ours, repeat=3, warmup=1)       # warm-up call compiles / loads the cache
    peer_s = best_time(peer, repeat=1, warmup=0)       # ~10 s per call: a single timed call
    return [Timing("GroupwiseRegretRegressor.fit, 100k rounds, 6 groups, d=20", ours_s, peer_s,
                   "numpy (same algorithm)", N_ROUNDS, "rounds",
                   note=f"{N_ROUNDS / ours_s:,.0f} rounds/s vs {N_ROUNDS / peer_s:,.0f} rounds/s")]
