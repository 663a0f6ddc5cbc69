"""Numba kernels of the selection package (docs/user_guide/selection.md).

Every kernel loops over a whole chunk of rankings inside compiled code. A ranking is a row of
item indices, best first: ``rankings[v, p]`` is the item voter ``v`` puts at position ``p``
(0-based). Each kernel states the formula it computes; ``tests/test_selection_kernels.py`` checks
each one against a plain numpy reference on random inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._core.jit import configure as _configure_cache

_configure_cache()  # a writable cache directory (read-only installs) and the compile notice


@njit(cache=True)
def first_invalid_row(rankings):
    """Index of the first row that is not a permutation of ``0..m-1`` (``-1`` if none).

    Returns ``(row, code)`` with code 1 = value out of range, 2 = repeated item.
    """
    n, m = rankings.shape
    stamp = np.full(m, -1, dtype=np.int64)
    for v in range(n):
        for p in range(m):
            item = rankings[v, p]
            if item < 0 or item >= m:
                return v, 1
            if stamp[item] == v:
                return v, 2
            stamp[item] = v
    return -1, 0


@njit(cache=True)
def accumulate_position_counts(rankings, counts):
    """``counts[i, p] += #{v : rankings[v, p] == i}`` (the sufficient statistic of separable rules).

    For a separable rule the item score is ``s_i = lambda * sum_p counts[i, p] * beta[p]``.
    """
    n, m = rankings.shape
    for v in range(n):
        for p in range(m):
            counts[rankings[v, p], p] += 1


@njit(cache=True)
def owa_scores(rankings, weights, in_committee, beta, lam):
    """Per-voter OWA committee score (docs/user_guide/selection.md).

    ``f_v(S) = sum_{j} lam[j] * beta[pos_v(s_(j))]`` where ``s_(j)`` is the member of S that voter
    v ranks j-th best among S. The scan walks voter v's ranking from the top and stops after the
    last member, so the cost is ``O(position of the worst member)`` per voter.
    Returns ``weights[v] * f_v(S)`` for every voter.
    """
    n, m = rankings.shape
    size = 0
    for i in range(in_committee.shape[0]):
        if in_committee[i]:
            size += 1
    out = np.zeros(n)
    for v in range(n):
        j = 0
        acc = 0.0
        for p in range(m):
            if in_committee[rankings[v, p]]:
                acc += lam[j] * beta[p]
                j += 1
                if j == size:
                    break
        out[v] = weights[v] * acc
    return out


@njit(cache=True)
def owa_gains(rankings, weights, in_committee, beta, lam, gains):
    """Marginal gain ``f(S + i) - f(S)`` of every item ``i`` not in S (members get 0).

    Needs ``|S| < len(lam)``. With the members' utilities ``u_0 >= ... >= u_{s-1}`` in voter v's
    order, inserting item i at rank r (r = number of members v ranks above i) gives
    ``gain_v(i) = lam[r] * beta[pos_v(i)] + sum_{j >= r} (lam[j+1] - lam[j]) * u_j``.
    The suffix sums ``D[r]`` are computed once per voter, so the cost is ``O(n m)``.
    """
    n, m = rankings.shape
    size = 0
    for i in range(in_committee.shape[0]):
        if in_committee[i]:
            size += 1
    gains[:] = 0.0
    u = np.empty(size + 1)
    D = np.zeros(size + 1)
    for v in range(n):
        j = 0
        for p in range(m):
            if in_committee[rankings[v, p]]:
                u[j] = beta[p]
                j += 1
                if j == size:
                    break
        D[size] = 0.0
        for r in range(size - 1, -1, -1):
            D[r] = D[r + 1] + (lam[r + 1] - lam[r]) * u[r]
        r = 0
        w = weights[v]
        for p in range(m):
            item = rankings[v, p]
            if in_committee[item]:
                r += 1
            else:
                gains[item] += w * (lam[r] * beta[p] + D[r])


@njit(cache=True)
def mallows_rim(center, uniforms, phi):
    """Mallows rankings by the repeated insertion method (RIM).

    ``center`` is the central ranking (best first); row ``v`` of ``uniforms`` drives voter v.
    Item ``c_i`` (i = 0..m-1, in central order) is inserted into the list of the i items already
    placed at 0-based position ``i - d``, where ``d`` in ``{0, ..., i}`` is the number of better
    items it jumps over and ``P(d) = phi**d / (1 + phi + ... + phi**i)`` (a truncated geometric
    drawn by inverting its CDF with ``uniforms[v, i]``). Then
    ``P(ranking) ∝ phi ** kendall_tau(ranking, center)``.
    """
    n, m = uniforms.shape
    out = np.empty((n, m), dtype=np.int64)
    row = np.empty(m, dtype=np.int64)
    log_phi = np.log(phi) if 0.0 < phi < 1.0 else 0.0
    for v in range(n):
        for i in range(m):
            if phi <= 0.0:
                d = 0
            elif phi >= 1.0:
                d = int(uniforms[v, i] * (i + 1))
                if d > i:
                    d = i
            else:
                # inverse CDF of P(d) ∝ phi^d on {0..i}:
                # d = floor(log(1 - U (1 - phi^(i+1))) / log phi)
                total = 1.0 - phi ** (i + 1)
                d = int(np.floor(np.log(1.0 - uniforms[v, i] * total) / log_phi))
                if d > i:
                    d = i
                if d < 0:
                    d = 0
            pos = i - d
            for q in range(i, pos, -1):
                row[q] = row[q - 1]
            row[pos] = center[i]
        for q in range(m):
            out[v, q] = row[q]
    return out
