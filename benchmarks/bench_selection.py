"""Selection benchmarks (docs/user_guide/selection.md): statistics, scoring, Mallows, MILP.

Run: ``python benchmarks/run.py selection``.

* ``stream_1e6``: 10^6 rankings of 100 items through ``MultiwinnerSelector.partial_fit``
  (k-Borda, chunks of 10^5, validation included) vs the plain-numpy statistic (one ``bincount``
  per chunk, no validation);
* ``score_m1000_n10000``: one committee score per rule for m = 1,000 items and n = 10,000
  rankings (``OWARule.score``, validation included) vs a numpy implementation of the definition
  (inverse permutations, sort the members' positions per voter);
* ``mallows_rim``: 10^4 Mallows rankings of 100 items, ours vs ``prefsampling.ordinal.mallows``;
* ``cc_milp_m100_n200_k10``: the exact MILP for Chamberlin-Courant with proportional constraints
  on the experiment's generator (m = 100, n = 200, k = 10, theta = 0.5, Mallows phi = 0.5, 0.8,
  0.9; HiGHS limited to 120 s), vs greedy + swaps (the gap is in the note).
"""

from __future__ import annotations

import time

import numpy as np
from harness import Timing, benchmark, compare

from fairlearn_online.selection import RULES, MultiwinnerSelector, make_biased_rankings


def _rankings(rng, n, m, dtype=np.int64):
    return np.argsort(rng.random((n, m)), axis=1).astype(dtype)


@benchmark
def stream_1e6():
    rng = np.random.default_rng(0)
    m, chunk, n_chunks = 100, 100_000, 10
    R = _rankings(rng, chunk, m)  # the same chunk streamed 10 times: 10^6 rankings

    def ours():
        sel = MultiwinnerSelector(k=10, rule="k_borda")
        for _ in range(n_chunks):
            sel.partial_fit(R)
        return sel.select()

    def numpy_peer():
        counts = np.zeros(m * m, dtype=np.int64)
        flat_pos = np.arange(m)
        for _ in range(n_chunks):
            counts += np.bincount((R * m + flat_pos).ravel(), minlength=m * m)
        scores = counts.reshape(m, m) @ (m - 1 - np.arange(m))
        return np.sort(np.argsort(-scores, kind="stable")[:10])

    np.testing.assert_array_equal(ours(), numpy_peer())
    return [compare("partial_fit 1e6 rankings x 100 items (k_borda)", ours, numpy_peer,
                    peer_name="numpy bincount (no validation)", repeat=3,
                    unit_count=chunk * n_chunks, unit="rankings")]


def _numpy_score(rankings, committee, beta, lam):
    pos = np.empty_like(rankings)
    np.put_along_axis(pos, rankings, np.arange(rankings.shape[1])[None, :], axis=1)
    member_pos = np.sort(pos[:, committee], axis=1)
    return float((lam[None, :] * beta[member_pos]).sum())


@benchmark
def score_m1000_n10000():
    rng = np.random.default_rng(1)
    m, n, k = 1000, 10_000, 10
    R = _rankings(rng, n, m)
    committee = np.sort(rng.choice(m, size=k, replace=False))
    out = []
    for name in ("sntv", "k_borda", "chamberlin_courant", "harmonic"):
        rule = RULES[name]
        beta, lam = rule.resolve(m, k)
        ours_val = rule.score(R, committee)
        assert np.isclose(ours_val, _numpy_score(R, committee, beta, lam))
        out.append(compare(f"score {name} m=1000 n=10000 k=10",
                           lambda: rule.score(R, committee),
                           lambda: _numpy_score(R, committee, beta, lam),
                           peer_name="numpy definition", repeat=3, unit_count=n,
                           unit="rankings"))
    return out


@benchmark
def mallows_rim():
    try:
        from prefsampling.ordinal import mallows
    except ImportError:  # pragma: no cover - optional peer
        mallows = None
    u = np.linspace(1.0, 0.01, 100)
    g = np.arange(100) % 2

    def ours():
        return make_biased_rankings(10_000, u, g, bias=1.0, dispersion=0.8, random_state=0)

    def peer():
        return mallows(10_000, 100, 0.8, central_vote=np.arange(100), seed=0)

    return [compare("Mallows RIM 1e4 rankings x 100 items", ours,
                    peer if mallows is not None else None,
                    peer_name="prefsampling.ordinal.mallows", repeat=3, unit_count=10_000,
                    unit="rankings")]


@benchmark
def cc_milp_m100_n200_k10():
    rng = np.random.default_rng(0)
    m, n, k = 100, 200, 10
    u = rng.random(m)
    g = np.arange(m) % 2
    rows = []
    for phi in (0.5, 0.8, 0.9):
        R = make_biased_rankings(n, u, g, bias=0.5, dispersion=phi, random_state=1)
        milp = MultiwinnerSelector(k=k, rule="chamberlin_courant", constraints="proportional",
                                   solver="milp", time_limit=120).fit(R, item_groups=g)
        greedy = MultiwinnerSelector(k=k, rule="chamberlin_courant", constraints="proportional",
                                     solver="greedy").fit(R, item_groups=g)
        start = time.perf_counter()
        _, e_info = milp.select(return_info=True)
        milp_s = time.perf_counter() - start
        start = time.perf_counter()
        _, g_info = greedy.select(return_info=True)
        greedy_s = time.perf_counter() - start
        gap = (e_info["value"] - g_info["value"]) / e_info["value"]
        rows.append(Timing(f"CC MILP m=100 n=200 k=10 proportional, Mallows phi={phi}",
                           milp_s, greedy_s, peer="greedy + swaps (ours)",
                           note=f"MILP status {e_info['status']}, {e_info['n_variables']} "
                                f"variables; greedy gap {100 * gap:.3f}%, certified a "
                                f"posteriori bound {100 * g_info['gap_bound']:.3f}%"))
    return rows
