"""Numba kernels of the groupwise-regret learner (docs/user_guide/regret.md).

Every per-round loop runs here, over a whole chunk, in compiled code. The plain numpy
reference of the same formulas lives in :mod:`fairlearn_online.regret._reference` and the tests
compare both on random inputs.

Notation (``docs/user_guide/regret.md``; AdaNormalHedge of Luo & Schapire 2015, sleeping
experts):

* expert ``i`` of group ``i`` keeps ``R_i`` (cumulative regret) and ``C_i`` (sum of ``|r_i|``);
* ``Phi(R, C) = exp(max(R, 0)^2 / (3 C))`` and
  ``w_i = 0.5 * (Phi(R_i + 1, C_i + 1) - Phi(R_i - 1, C_i + 1))``;
* ``p_i ∝ a_i w_i`` over the awake experts (``a_i = 1``), uniform if all those weights are 0;
* after the label: ``l_i = (yhat_i - y)^2 / s`` (``s`` scales the losses into [0, 1], see
  :func:`_loss_scale`), ``lhat = sum_i p_i l_i``, ``r_i = a_i (lhat - l_i)``, ``R_i += r_i``,
  ``C_i += |r_i|``.

``log w_i`` is computed directly (never ``Phi`` itself), so nothing overflows however large
``R`` and ``C`` grow:

``log w = log(1/2) + A + log(1 - exp(B - A))`` with ``A = max(R + 1, 0)^2 / (3 (C + 1))`` and
``B = max(R - 1, 0)^2 / (3 (C + 1))``; ``B - A = -4 R / (3 (C + 1))`` when ``R >= 1`` and
``-A`` when ``-1 < R < 1``; ``w = 0`` (``log w = -inf``) when ``R <= -1``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._core.jit import configure as _configure_cache

_configure_cache()  # a writable cache directory (read-only installs) and the compile notice

LOG_HALF = math.log(0.5)


# --------------------------------------------------------------------------------------------
# AdaNormalHedge (log space)
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def _log_weight(R, C):
    """``log w(R, C)`` of AdaNormalHedge (docs/user_guide/regret.md), ``-inf`` when ``w = 0``."""
    if R <= -1.0:
        return -np.inf
    c3 = 3.0 * (C + 1.0)
    a = (R + 1.0) * (R + 1.0) / c3
    if R >= 1.0:
        diff = -4.0 * R / c3          # B - A, exact algebra avoids cancellation
    else:
        diff = -a                     # B = 0
    return LOG_HALF + a + math.log(-math.expm1(diff))


@njit(cache=True)
def _hedge_probabilities(R, C, idx, n_idx, p_out):
    """Fill ``p_out[:n_idx]`` with ``p_i ∝ w(R_i, C_i)`` over the experts ``idx[:n_idx]``.

    Normalised with the log-sum-exp trick; uniform over ``idx`` when every weight is 0.
    """
    m = -np.inf
    for k in range(n_idx):
        lw = _log_weight(R[idx[k]], C[idx[k]])
        p_out[k] = lw
        if lw > m:
            m = lw
    if m == -np.inf:
        for k in range(n_idx):
            p_out[k] = 1.0 / n_idx
        return
    total = 0.0
    for k in range(n_idx):
        v = math.exp(p_out[k] - m)
        p_out[k] = v
        total += v
    for k in range(n_idx):
        p_out[k] /= total


@njit(cache=True)
def _loss_scale(preds, n_idx, y, lo, hi):
    """Divisor ``s`` putting this round's squared losses in [0, 1].

    ``s = max((hi - lo)^2, max_i (yhat_i - y)^2)`` (``s = 1`` when that is 0). When the experts'
    predictions are clipped to a range ``[lo, hi]`` that contains ``y`` (labels in a known range,
    or the running range of the labels), ``s = (hi - lo)^2`` is a constant of the stream, e.g.
    exactly 1 for labels and predictions in [0, 1] (the paper's setting).
    """
    s = 0.0
    if hi > lo:
        s = (hi - lo) * (hi - lo)
    for k in range(n_idx):
        d = preds[k] - y
        if d * d > s:
            s = d * d
    if s <= 0.0:
        s = 1.0
    return s


@njit(cache=True)
def _hedge_update(R, C, idx, n_idx, preds, p, y, lo, hi):
    """AdaNormalHedge update after the label (docs/user_guide/regret.md).

    Returns the learner's expected loss ``sum_i p_i (yhat_i - y)^2`` (unscaled).
    """
    s = _loss_scale(preds, n_idx, y, lo, hi)
    lhat = 0.0
    for k in range(n_idx):
        d = preds[k] - y
        lhat += p[k] * d * d
    lhat_s = lhat / s
    for k in range(n_idx):
        d = preds[k] - y
        r = lhat_s - d * d / s
        i = idx[k]
        R[i] += r
        C[i] += abs(r)
    return lhat


# --------------------------------------------------------------------------------------------
# online ridge (Sherman-Morrison)
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def _clip(v, lo, hi):
    if lo <= hi:              # lo > hi encodes "no range known yet"
        if v < lo:
            return lo
        if v > hi:
            return hi
    return v


@njit(cache=True)
def _ridge_raw_prediction(theta_g, z):
    acc = 0.0
    for j in range(z.shape[0]):
        acc += theta_g[j] * z[j]
    return acc


@njit(cache=True)
def _mat_vec(A, x, out):
    """``out = A x`` for a square ``A``, each entry summed in index order."""
    p = x.shape[0]
    for i in range(p):
        acc = 0.0
        for j in range(p):
            acc += A[i, j] * x[j]
        out[i] = acc


@njit(cache=True)
def _dot(a, b, start):
    """``start + a . b``, summed in index order."""
    acc = start
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    return acc


@njit(cache=True)
def _rank_one_step(P_g, theta_g, k, f, denom):
    """The common tail of both ridge updates, with ``k = P z``: ``theta += f k`` and
    ``P -= k k^T / denom``."""
    p = k.shape[0]
    for i in range(p):
        theta_g[i] += k[i] * f
        ki = k[i] / denom
        for j in range(p):
            P_g[i, j] -= ki * k[j]


@njit(cache=True)
def _ridge_update(P_g, theta_g, z, y, work):
    """One online ridge step: ``theta = (alpha I + sum z z^T)^{-1} sum y z``, O(p^2).

    Sherman-Morrison: ``P' = P - (P z)(P z)^T / (1 + z^T P z)`` and, since
    ``P' z = P z / (1 + z^T P z)``, ``theta' = theta + P z (y - z^T theta) / (1 + z^T P z)``.
    """
    _mat_vec(P_g, z, work)
    denom = _dot(z, work, 1.0)
    err = y - _ridge_raw_prediction(theta_g, z)
    _rank_one_step(P_g, theta_g, work, err / denom, denom)


@njit(cache=True)
def ridge_chunk(Z, y, P, theta, yrange, fixed_range, out_pred, clip=True):
    """Test-then-train online ridge over a chunk (one expert; the baseline of section 2).

    ``yrange = [lo, hi]`` is the clipping range (``lo > hi``: none yet); when ``fixed_range`` is
    false it is the running range of the labels and is updated here. ``clip=False`` returns the
    raw predictions.
    """
    n = Z.shape[0]
    work = np.empty(Z.shape[1])
    for t in range(n):
        z = Z[t]
        raw = _ridge_raw_prediction(theta, z)
        out_pred[t] = _clip(raw, yrange[0], yrange[1]) if clip else raw
        _ridge_update(P, theta, z, y[t], work)
        if not fixed_range:
            if yrange[0] > yrange[1]:
                yrange[0] = y[t]
                yrange[1] = y[t]
            else:
                yrange[0] = min(yrange[0], y[t])
                yrange[1] = max(yrange[1], y[t])


@njit(cache=True)
def ridge_predict(Z, theta, yrange, clip, out):
    """``out[t]``: the prediction :func:`ridge_chunk` makes for row ``t`` before learning it,
    ``clip(theta . z_t)`` (summed in index order, so one row or many give the same bits),
    for every row of ``Z``; nothing is learned."""
    for t in range(Z.shape[0]):
        raw = _ridge_raw_prediction(theta, Z[t])
        out[t] = _clip(raw, yrange[0], yrange[1]) if clip else raw


@njit(cache=True)
def anh_ridge_chunk(Z, y, member, P, theta, R, C, yrange, fixed_range, learn,
                    out_pred, out_hedge_loss, clip=True):
    """The whole per-round loop of :class:`GroupwiseRegretRegressor` for one chunk.

    For every row ``t`` (in order): the awake experts (``member[t, i]``) predict
    ``clip(theta_i . z_t)``; AdaNormalHedge mixes them, ``yhat_t = sum_i p_i yhat_i``
    (``out_pred[t]``); then, if ``learn``, the hedge state ``R, C`` and the awake experts' ridge
    models learn ``y_t``. ``out_hedge_loss[t]`` is ``sum_i p_i (yhat_i - y_t)^2``.

    A row in no group: the prediction mixes *all* experts with their current weights and nothing
    is updated (no expert is awake to learn or be compared with). With no expert at all the
    prediction is 0 clipped to the range. ``clip=False``: the experts' raw predictions are mixed
    (``yrange`` then only sets the loss scale).
    """
    n = Z.shape[0]
    G = member.shape[1]
    p_dim = Z.shape[1]
    idx = np.empty(max(G, 1), dtype=np.int64)
    preds = np.empty(max(G, 1))
    probs = np.empty(max(G, 1))
    work = np.empty(p_dim)
    for t in range(n):
        z = Z[t]
        lo = yrange[0]
        hi = yrange[1]
        n_idx = 0
        for i in range(G):
            if member[t, i]:
                idx[n_idx] = i
                n_idx += 1
        awake = n_idx > 0
        if not awake:                      # nobody awake: mix everybody, learn nothing
            for i in range(G):
                idx[i] = i
            n_idx = G
        if n_idx == 0:
            out_pred[t] = _clip(0.0, lo, hi)
            out_hedge_loss[t] = (out_pred[t] - y[t]) ** 2
            continue
        for k in range(n_idx):
            raw = _ridge_raw_prediction(theta[idx[k]], z)
            preds[k] = _clip(raw, lo, hi) if clip else raw
        _hedge_probabilities(R, C, idx, n_idx, probs)
        yhat = 0.0
        for k in range(n_idx):
            yhat += probs[k] * preds[k]
        out_pred[t] = yhat
        if not learn:
            continue
        yt = y[t]
        if not fixed_range:
            if lo > hi:
                lo = yt
                hi = yt
            else:
                lo = min(lo, yt)
                hi = max(hi, yt)
            yrange[0] = lo
            yrange[1] = hi
        if not awake:
            lh = 0.0
            for k in range(n_idx):
                lh += probs[k] * (preds[k] - yt) ** 2
            out_hedge_loss[t] = lh
            continue
        out_hedge_loss[t] = _hedge_update(R, C, idx, n_idx, preds, probs, yt, lo, hi)
        for k in range(n_idx):
            i = idx[k]
            _ridge_update(P[i], theta[i], z, yt, work)


@njit(cache=True)
def ridge_event(Z, y, P, theta, yrange, fixed_range, out_pred, clip, seen):
    """:func:`ridge_chunk` on the rows of ``Z`` and ``seen[0] +=`` their number, in one call:
    the per-event route's transaction (an interrupt comes before or after both)."""
    ridge_chunk(Z, y, P, theta, yrange, fixed_range, out_pred, clip)
    seen[0] += Z.shape[0]


@njit(cache=True)
def anh_ridge_event(Z, y, member, P, theta, R, C, yrange, fixed_range, out_pred,
                    out_hedge_loss, clip, seen):
    """:func:`anh_ridge_chunk` learning the rows of ``Z`` and ``seen[0] +=`` their number, in
    one call: the per-event route's transaction (an interrupt comes before or after both)."""
    anh_ridge_chunk(Z, y, member, P, theta, R, C, yrange, fixed_range, True, out_pred,
                    out_hedge_loss, clip)
    seen[0] += Z.shape[0]


# --------------------------------------------------------------------------------------------
# best fixed linear predictor in hindsight (exact, incremental)
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def hindsight_sse_chunk(Z, y, member, Pinv, Q, theta, b, sse, tol, out_sse):
    """Exact least-squares error of the best fixed linear predictor on each group's rounds so far.

    For group ``g`` with rows ``z_1..z_n`` (``A = sum z z^T``, ``b = sum y z``) the kernel keeps the
    pseudo-inverse ``Pinv = A^+``, the projector ``Q = I - A^+ A`` onto the directions not yet
    seen, the least-squares solution ``theta = A^+ b`` and its error ``sse``, in O(p^2) per row:

    * ``z`` inside the span seen (``|Q z|^2 <= tol |z|^2``): recursive least squares,
      ``k = A^+ z``, ``sse += (y - z.theta)^2 / (1 + z.k)``,
      ``theta += k (y - z.theta) / (1 + z.k)``, ``A^+ -= k k^T / (1 + z.k)``;
    * ``z`` brings a new direction ``u = Q z``: the new point is fitted exactly without changing
      the earlier fitted values, so ``sse`` is unchanged; ``A^+`` follows the rank-one
      pseudo-inverse update for a vector outside the range (Meyer 1973, symmetric case)
      ``A'^+ = A^+ - (k u^T + u k^T)/|u|^2 + (1 + z.k) u u^T / |u|^4``, ``Q -= u u^T / |u|^2``,
      and ``theta = A'^+ b'``.

    ``out_sse[t, g]`` is group ``g``'s error after row ``t`` (carried over rows outside ``g``).
    """
    n = Z.shape[0]
    G = member.shape[1]
    p = Z.shape[1]
    k_vec = np.empty(p)
    u = np.empty(p)
    u2 = np.empty(p)
    for t in range(n):
        z = Z[t]
        yt = y[t]
        for g in range(G):
            if member[t, g]:
                Pg = Pinv[g]
                Qg = Q[g]
                th = theta[g]
                bg = b[g]
                zz = 0.0
                for i in range(p):
                    zz += z[i] * z[i]
                    bg[i] += yt * z[i]
                # u = Q (Q z): projecting twice keeps the direction test accurate
                _mat_vec(Qg, z, u2)
                _mat_vec(Qg, u2, u)
                uu = _dot(u, u, 0.0)
                _mat_vec(Pg, z, k_vec)
                zk = _dot(z, k_vec, 0.0)
                if uu > tol * zz and zz > 0.0:
                    c = (1.0 + zk) / (uu * uu)
                    for i in range(p):
                        for j in range(p):
                            Pg[i, j] += (c * u[i] * u[j]
                                         - (k_vec[i] * u[j] + u[i] * k_vec[j]) / uu)
                            Qg[i, j] -= u[i] * u[j] / uu
                    _mat_vec(Pg, bg, th)
                else:
                    denom = 1.0 + zk
                    err = yt
                    for i in range(p):
                        err -= z[i] * th[i]
                    sse[g] += err * err / denom
                    _rank_one_step(Pg, th, k_vec, err / denom, denom)
            out_sse[t, g] = sse[g]
