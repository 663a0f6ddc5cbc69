"""Plain numpy reference implementations of the kernels (tests and benchmarks only).

They follow the formulas of ``docs/user_guide/regret.md`` literally, one round at a time,
vectorised over the experts with numpy: the numba kernels of :mod:`._kernels` must agree with them,
and the benchmark measures how much faster the kernels are.
"""

from __future__ import annotations

import numpy as np


def log_weight_reference(R, C):
    """``log(0.5 (Phi(R + 1, C + 1) - Phi(R - 1, C + 1)))`` with
    ``Phi(R, C) = exp(max(R, 0)^2/(3C))``."""
    R = np.asarray(R, dtype=float)
    C = np.asarray(C, dtype=float)
    c3 = 3.0 * (C + 1.0)
    a = np.maximum(R + 1.0, 0.0) ** 2 / c3
    b = np.maximum(R - 1.0, 0.0) ** 2 / c3
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(0.5) + a + np.log(-np.expm1(np.where(R >= 1.0, -4.0 * R / c3, b - a)))
    return np.where(R <= -1.0, -np.inf, out)


def anh_ridge_reference(Z, y, member, *, alpha=1.0, y_range=None):
    """AdaNormalHedge over per-group online ridge experts, round by round in numpy.

    Parameters
    ----------
    Z : ndarray (n, p)
        Expert inputs (already with the intercept column when wanted).
    y : ndarray (n,)
    member : ndarray (n, G) of bool
    alpha : float
    y_range : (lo, hi) or None
        Fixed clipping range, or ``None`` for the running range of the labels.

    Returns
    -------
    pred, hedge_loss : ndarray (n,)
    """
    n, p = Z.shape
    G = member.shape[1]
    P = np.repeat(np.eye(p)[None] / alpha, G, axis=0)
    theta = np.zeros((G, p))
    R = np.zeros(G)
    C = np.zeros(G)
    if y_range is None:
        lo, hi, fixed = np.inf, -np.inf, False
    else:
        (lo, hi), fixed = y_range, True
    pred = np.zeros(n)
    hedge_loss = np.zeros(n)
    for t in range(n):
        z, yt = Z[t], y[t]
        awake = np.flatnonzero(member[t])
        idx = awake if awake.size else np.arange(G)
        if idx.size == 0:
            pred[t] = np.clip(0.0, lo, hi) if lo <= hi else 0.0
            hedge_loss[t] = (pred[t] - yt) ** 2
            continue
        raw = theta[idx] @ z
        preds = np.clip(raw, lo, hi) if lo <= hi else raw
        lw = log_weight_reference(R[idx], C[idx])
        if np.all(np.isneginf(lw)):
            prob = np.full(idx.size, 1.0 / idx.size)
        else:
            w = np.exp(lw - lw.max())
            prob = w / w.sum()
        pred[t] = prob @ preds
        if not fixed:
            lo, hi = min(lo, yt), max(hi, yt)
        sq = (preds - yt) ** 2
        hedge_loss[t] = prob @ sq
        if not awake.size:
            continue
        s = max((hi - lo) ** 2 if hi > lo else 0.0, sq.max())
        s = s if s > 0 else 1.0
        r = (prob @ sq - sq) / s
        R[idx] += r
        C[idx] += np.abs(r)
        # Sherman-Morrison on every awake expert
        Pz = P[idx] @ z
        denom = 1.0 + Pz @ z
        err = yt - raw
        theta[idx] += Pz * (err / denom)[:, None]
        P[idx] -= Pz[:, :, None] * Pz[:, None, :] / denom[:, None, None]
    return pred, hedge_loss


def hindsight_sse_reference(Z, y, member, *, every=1):
    """Least-squares error of the best fixed linear predictor per group, by direct ``lstsq``.

    Returns an ``(n, G)`` array (NaN except every ``every``-th row of the group and its last).
    """
    n, G = member.shape
    out = np.full((n, G), np.nan)
    for g in range(G):
        rows = np.flatnonzero(member[:, g])
        for m, t in enumerate(rows, start=1):
            if m % every and m != len(rows):
                continue
            Zg, yg = Z[rows[:m]], y[rows[:m]]
            coef, *_ = np.linalg.lstsq(Zg, yg, rcond=None)
            out[t, g] = np.sum((Zg @ coef - yg) ** 2)
    return out
