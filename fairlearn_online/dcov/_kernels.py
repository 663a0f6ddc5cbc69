"""Numba kernels for the distance-covariance statistics (docs/user_guide/dcov.md).

Every statistic of this package is assembled from a few sums over the pairs ``(k, l)`` of the
``n`` samples, with ``a_kl = |x_k - x_l|`` (or the Euclidean distance of rows of ``X``) and
``b_kl`` the distance of the second variable:

* ``P = sum_{k,l} a_kl b_kl`` (both orders of every pair),
* the row sums ``alpha_k = sum_l a_kl`` and ``r_k = sum_l b_kl``,
* for the gradient with respect to a 1-D ``x``: ``h_k = sum_j sign(x_k - x_j) b_kj``,
  ``sigma_k = sum_j sign(x_k - x_j)`` and ``rho_k = sum_j sign(x_k - x_j) r_j``.

``_stats.py`` turns them into the U- or V-statistic and its gradient. The kernels here compute
them in three exact ways:

* :func:`cells_terms`: ``b_kl = D[cell_k, cell_l]`` for a cell-structured second variable
  (categorical/binary attributes, or any variable with few distinct rows): one sweep over ``x``
  sorted once, with per-cell cumulative counts and sums, ``O(n log n + n * cells)`` time,
  ``O(n + cells^2)`` memory;
* :func:`fenwick_terms`: 1-D vs 1-D, ``O(n log n)`` with a Fenwick (binary indexed) tree over
  the ranks of ``y`` (the dyadic-update idea of Huo & Szekely 2016);
* :func:`pairs_terms`: anything else, a loop over the pairs computing the distances on the fly,
  ``O(n^2)`` time and ``O(n)`` memory.

Each kernel is tested against the direct ``O(n^2)`` matrix formula in
``tests/test_dcov_kernels.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._core.jit import configure as _configure_cache

_configure_cache()  # a writable cache directory (read-only installs) and the compile notice


# ------------------------------------------------------------------------------------------
# helpers over x sorted once
# ------------------------------------------------------------------------------------------
@njit(cache=True)
def abs_row_sums(x, order):
    """``alpha_k = sum_j |x_k - x_j|`` from the sorted order, O(n).

    Reference: ``np.abs(x[:, None] - x[None, :]).sum(1)``.
    """
    n = x.shape[0]
    total = 0.0
    for i in range(n):
        total += x[i]
    out = np.empty(n)
    before = 0.0  # sum of the values strictly before position i in the sorted order
    for i in range(n):
        v = x[order[i]]
        after = total - before - v
        # i values before (each <= v), n - 1 - i after (each >= v); ties contribute 0 either way
        out[order[i]] = (i * v - before) + (after - (n - 1 - i) * v)
        before += v
    return out


@njit(cache=True)
def sign_weighted_sums(x, order, w):
    """``out_k = sum_j sign(x_k - x_j) w_j`` (ties count 0), O(n) after sorting.

    Reference: ``(np.sign(x[:, None] - x[None, :]) * w[None, :]).sum(1)``.
    """
    n = x.shape[0]
    total = 0.0
    for i in range(n):
        total += w[i]
    out = np.empty(n)
    below = 0.0
    i = 0
    while i < n:
        v = x[order[i]]
        j = i
        block = 0.0
        while j < n and x[order[j]] == v:
            block += w[order[j]]
            j += 1
        above = total - below - block
        for t in range(i, j):
            out[order[t]] = below - above
        below += block
        i = j
    return out


# ------------------------------------------------------------------------------------------
# 1-D x against a cell-structured variable: b_kl = D[cell_k, cell_l]
# ------------------------------------------------------------------------------------------
@njit(cache=True)
def cells_terms(xs, cs, D, need_grad):
    """Pair sums for ``a_kl = |x_k - x_l|`` and ``b_kl = D[cells[k], cells[l]]``.

    ``D`` is symmetric with a zero diagonal (e.g. ``sqrt(2)`` between two different one-hot
    categories). One sweep over ``x`` in sorted order keeps, for every cell ``c``, the count
    ``L_c`` and sum ``SL_c`` of the values visited so far; then for a sample ``k`` of cell ``ck``

    * ``sum_l D[ck, c_l] |x_k - x_l| = (WL x_k - WSL) + (WSG - WG x_k)`` with
      ``WL = sum_c D[ck, c] L_c`` (values strictly below), ``WG`` the same above, and ``WSL``,
      ``WSG`` the D-weighted sums;
    * ``sum_l D[ck, c_l] sign(x_k - x_l) = WL - WG``.

    The D-weighted cumulative sums of every row cell are updated at each insertion (``O(cells)``)
    and read in ``O(1)``: ``O(n * cells)`` after sorting, ``O(n + cells^2)`` memory. Tied values
    are inserted as a block between the "below" and the "above" reads (ties add 0).

    ``xs`` is ``x`` sorted increasingly and ``cs`` the cells in the same order; the per-sample
    outputs are in that sorted order too (contiguous sweeps, no random access: the caller
    un-permutes only the final gradient). Returns ``P, alpha, r, h, sigma, rho`` (the last three
    are empty unless ``need_grad``).
    Reference: the dense matrices ``a = |x_k - x_l|``, ``b = D[cells][:, cells]``.
    """
    n = xs.shape[0]
    m = D.shape[0]
    count = np.zeros(m)
    total = np.zeros(m)
    for k in range(n):
        count[cs[k]] += 1.0
        total[cs[k]] += xs[k]
    rcell = np.zeros(m)  # row sum of b for a sample of cell c
    wcount = np.zeros(m)  # sum_c D[c', c] count_c
    wtotal = np.zeros(m)  # sum_c D[c', c] total_c
    for c in range(m):
        for d in range(m):
            rcell[c] += D[c, d] * count[d]
            wtotal[c] += D[c, d] * total[d]
        wcount[c] = rcell[c]
    grand = 0.0
    rgrand = 0.0
    for c in range(m):
        grand += total[c]
        rgrand += rcell[c] * count[c]
    alpha = np.empty(n)
    r = np.empty(n)
    for k in range(n):
        r[k] = rcell[cs[k]]
    ng = n if need_grad else 0
    h = np.empty(ng)
    sigma = np.empty(ng)
    rho = np.empty(ng)
    pk = np.empty(n)

    WL = np.zeros(m)
    WSL = np.zeros(m)
    l_tot = 0.0
    sl_tot = 0.0
    rl = 0.0
    P = 0.0
    i = 0
    while i < n:
        v = xs[i]
        j = i
        while j < n and xs[j] == v:
            j += 1
        # parts from the values strictly below v
        for k in range(i, j):
            ck = cs[k]
            pk[k] = WL[ck] * v - WSL[ck]
            alpha[k] = l_tot * v - sl_tot
            if need_grad:
                h[k] = WL[ck]
                sigma[k] = l_tot
                rho[k] = rl
        # insert the block of ties
        for k in range(i, j):
            c = cs[k]
            for d in range(m):
                WL[d] += D[d, c]
                WSL[d] += D[d, c] * v
            l_tot += 1.0
            sl_tot += v
            rl += rcell[c]
        # parts from the values strictly above v
        for k in range(i, j):
            ck = cs[k]
            wg = wcount[ck] - WL[ck]
            wsg = wtotal[ck] - WSL[ck]
            g_tot = n - l_tot
            p = pk[k] + (wsg - wg * v)
            P += p
            alpha[k] += (grand - sl_tot) - g_tot * v
            if need_grad:
                h[k] -= wg
                sigma[k] -= g_tot
                rho[k] -= rgrand - rl
        i = j
    return P, alpha, r, h, sigma, rho


# ------------------------------------------------------------------------------------------
# 1-D vs 1-D numeric: Fenwick tree over the ranks of y
# ------------------------------------------------------------------------------------------
@njit(cache=True)
def _bit_add(tree, pos, value):
    size = tree.shape[0]
    while pos < size:
        tree[pos] += value
        pos += pos & (-pos)


@njit(cache=True)
def _bit_sum(tree, pos):
    s = 0.0
    while pos > 0:
        s += tree[pos]
        pos -= pos & (-pos)
    return s


@njit(cache=True)
def fenwick_terms(x, y, order, yrank, n_ranks, beta, need_grad):
    """``P = sum_{k,l} |x_k - x_l| |y_k - y_l|`` and ``h_k = sum_j sign(x_k - x_j) |y_k - y_j|``.

    O(n log n): visit the samples by increasing ``x``; a Fenwick tree indexed by the rank of
    ``y`` holds the count and the sums of ``y``, ``x`` and ``x y`` of the samples already
    visited (strictly smaller ``x``), so that
    ``sum_{x_j < x_k} (x_k - x_j) |y_k - y_j|`` splits into the samples with ``y_j <= y_k`` and
    ``y_j > y_k``, each a polynomial in ``x_k, y_k`` of the stored sums (Huo & Szekely 2016).
    ``beta`` are the row sums ``sum_j |y_k - y_j|``. ``yrank`` are 0-based dense ranks.
    Reference: ``(|x_k - x_l| * |y_k - y_l|).sum()`` and ``(sign(x_k - x_j) |y_k - y_j|).sum(1)``.
    """
    n = x.shape[0]
    size = n_ranks + 1
    t_cnt = np.zeros(size)
    t_y = np.zeros(size)
    t_x = np.zeros(size)
    t_xy = np.zeros(size)
    a_cnt = 0.0
    a_y = 0.0
    a_x = 0.0
    a_xy = 0.0
    h = np.empty(n if need_grad else 0)
    P = 0.0
    i = 0
    while i < n:
        v = x[order[i]]
        j = i
        while j < n and x[order[j]] == v:
            j += 1
        for t in range(i, j):
            k = order[t]
            yk = y[k]
            pos = yrank[k] + 1
            c1 = _bit_sum(t_cnt, pos)
            y1 = _bit_sum(t_y, pos)
            x1 = _bit_sum(t_x, pos)
            xy1 = _bit_sum(t_xy, pos)
            c2 = a_cnt - c1
            y2 = a_y - y1
            x2 = a_x - x1
            xy2 = a_xy - xy1
            low = c1 * v * yk - v * y1 - yk * x1 + xy1
            high = c2 * v * yk - v * y2 - yk * x2 + xy2
            P += 2.0 * (low - high)
            if need_grad:
                h[k] = (c1 * yk - y1) + (y2 - c2 * yk)  # sum over x_j < x_k of |y_k - y_j|
        for t in range(i, j):
            k = order[t]
            pos = yrank[k] + 1
            yk = y[k]
            _bit_add(t_cnt, pos, 1.0)
            _bit_add(t_y, pos, yk)
            _bit_add(t_x, pos, v)
            _bit_add(t_xy, pos, v * yk)
            a_cnt += 1.0
            a_y += yk
            a_x += v
            a_xy += v * yk
        if need_grad:
            for t in range(i, j):
                k = order[t]
                yk = y[k]
                pos = yrank[k] + 1
                c1 = _bit_sum(t_cnt, pos)
                y1 = _bit_sum(t_y, pos)
                leq = (c1 * yk - y1) + ((a_y - y1) - (a_cnt - c1) * yk)  # over x_j <= x_k
                h[k] = h[k] - (beta[k] - leq)
        i = j
    return P, h


# ------------------------------------------------------------------------------------------
# general case: loop over pairs, O(n^2) time, O(n) memory
# ------------------------------------------------------------------------------------------
@njit(cache=True)
def pairs_terms(X, Y, need_grad):
    """Pair sums for Euclidean distances of the rows of ``X`` (n, p) and ``Y`` (n, q).

    Returns ``P, alpha, r, h``; ``h`` (needs ``p == 1``) is empty unless ``need_grad``.
    Distances are computed on the fly, never stored. Reference: the dense distance matrices.
    """
    n, p = X.shape
    q = Y.shape[1]
    alpha = np.zeros(n)
    r = np.zeros(n)
    h = np.zeros(n if need_grad else 0)
    P = 0.0
    for k in range(n):
        pk = 0.0
        for l in range(k + 1, n):
            s = 0.0
            for t in range(p):
                d = X[k, t] - X[l, t]
                s += d * d
            a = np.sqrt(s)
            s = 0.0
            for t in range(q):
                d = Y[k, t] - Y[l, t]
                s += d * d
            b = np.sqrt(s)
            alpha[k] += a
            alpha[l] += a
            r[k] += b
            r[l] += b
            pk += a * b
            if need_grad:
                diff = X[k, 0] - X[l, 0]
                if diff > 0:
                    h[k] += b
                    h[l] -= b
                elif diff < 0:
                    h[k] -= b
                    h[l] += b
        P += 2.0 * pk
    return P, alpha, r, h


# ------------------------------------------------------------------------------------------
# joint distance covariance (Chakraborty & Zhang 2019), O(n^2) time and O(n d) memory
# ------------------------------------------------------------------------------------------
@njit(cache=True)
def _pair_distance(Z, start, stop, k, l):
    s = 0.0
    for t in range(start, stop):
        d = Z[k, t] - Z[l, t]
        s += d * d
    return np.sqrt(s)


@njit(cache=True)
def multi_row_sums(Z, offsets):
    """Row sums ``R[i, k] = sum_l a^i_kl`` of every variable ``i`` (its columns
    ``offsets[i]:offsets[i+1]``)."""
    n = Z.shape[0]
    d = offsets.shape[0] - 1
    R = np.zeros((d, n))
    for k in range(n):
        for l in range(k + 1, n):
            for i in range(d):
                a = _pair_distance(Z, offsets[i], offsets[i + 1], k, l)
                R[i, k] += a
                R[i, l] += a
    return R


@njit(cache=True)
def jdcov_terms(Z, offsets, R, c, need_grad):
    """Pair sums of the joint distance covariance.

    With the U-centred matrices of Chakraborty & Zhang (2019),
    ``U^i_kl = -(a^i_kl - R_ik/(n-2) - R_il/(n-2) + T_i/((n-1)(n-2)))`` for ``k != l``, returns

    * ``S = sum_{k != l} prod_i (U^i_kl + c)``,
    * when ``need_grad``, for ``W_kl = prod_{i >= 1} (U^i_kl + c)`` (the product without the
      first variable, ``k != l``): its row sums ``rW`` and ``hW_k = sum_j sign(x_k - x_j) W_kj``
      with ``x`` the first variable (1-D).

    Reference: the dense ``U`` matrices of every variable.
    """
    n = Z.shape[0]
    d = offsets.shape[0] - 1
    T = np.zeros(d)
    for i in range(d):
        for k in range(n):
            T[i] += R[i, k]
    inv2 = 1.0 / (n - 2)
    inv12 = 1.0 / ((n - 1) * (n - 2))
    rW = np.zeros(n if need_grad else 0)
    hW = np.zeros(n if need_grad else 0)
    S = 0.0
    for k in range(n):
        sk = 0.0
        for l in range(k + 1, n):
            w = 1.0
            u0 = 0.0
            for i in range(d):
                a = _pair_distance(Z, offsets[i], offsets[i + 1], k, l)
                u = -(a - R[i, k] * inv2 - R[i, l] * inv2 + T[i] * inv12)
                if i == 0:
                    u0 = u
                else:
                    w *= u + c
            sk += (u0 + c) * w
            if need_grad:
                rW[k] += w
                rW[l] += w
                diff = Z[k, 0] - Z[l, 0]
                if diff > 0:
                    hW[k] += w
                    hW[l] -= w
                elif diff < 0:
                    hW[k] -= w
                    hW[l] += w
        S += 2.0 * sk
    return S, rW, hW
