"""Benchmarks of fairlearn_online.optimum (docs/user_guide/optimum.md).

* ``aglfop_grid_adult``: the 20 x 20 (eps_global, eps_local) AGLFOP grid on Adult split among 5
  clients (heterogeneity h = 0.5). Ours: :func:`aglfop_frontier`, one compiled cvxpy problem
  with the bounds as Parameters (DPP). Peer: the same problem rebuilt and recompiled by cvxpy
  for every grid point (:func:`aglfop` in a loop). Target: under 30 s.
* ``pid_vs_dit``: the BROJA PID of 20 random 3 x 3 x 3 distributions. Ours: the cvxpy
  exponential-cone program (Clarabel). Peer: ``dit.pid.PID_BROJA(method="cone")`` (ECOS).
"""

from __future__ import annotations

import warnings

import numpy as np
from harness import Timing, benchmark, best_time

from fairlearn_online.experiments.optimum import adult_p_zsy
from fairlearn_online.optimum import aglfop, aglfop_frontier, disparity_decomposition_from_joint


@benchmark
def aglfop_grid_adult():
    p = adult_p_zsy(0.5, seed=0)
    grid = np.linspace(0.0, 0.04, 20)

    def ours():
        return aglfop_frontier(p, grid, grid)

    def peer():
        return [aglfop(p, g, e).accuracy for g in grid for e in grid]

    frame = ours()
    rebuilt = np.array(peer())
    gap = float(np.max(np.abs(frame["accuracy"].to_numpy() - rebuilt)))
    ours_s = best_time(ours, repeat=3, warmup=0)
    peer_s = best_time(peer, repeat=1, warmup=0)
    return [Timing("AGLFOP 20x20 grid, Adult, 5 clients", ours_s, peer_s,
                   "cvxpy problem rebuilt per point", unit_count=400, unit="solves",
                   note=f"max |accuracy difference| {gap:.1e}; "
                        f"{int((frame['status'] == 'optimal').sum())}/400 optimal")]


@benchmark
def pid_vs_dit():
    import dit
    from dit.pid import PID_BROJA

    rng = np.random.default_rng(0)
    joints = [rng.dirichlet(np.full(27, 0.5)).reshape(3, 3, 3) for _ in range(20)]
    dists = []
    for p in joints:
        outcomes = [(i[1], i[2], i[0]) for i in np.ndindex(*p.shape)]  # dit: (yhat, s, z)
        dists.append(dit.Distribution(outcomes, p.ravel().tolist()))

    def ours():
        return [disparity_decomposition_from_joint(p).unique for p in joints]

    def peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [PID_BROJA(d, [[0], [1]], [2], method="cone").get_pi(((0,),)) for d in dists]

    gap = float(np.max(np.abs(np.array(ours()) - np.array(peer()))))
    return [Timing("BROJA PID, 20 random 3x3x3 distributions", best_time(ours),
                   best_time(peer), "dit PID_BROJA(method='cone')", unit_count=20,
                   unit="decompositions", note=f"max |Uni difference| {gap:.1e} bits")]
