"""Compiled per-sample kernels of the Aranyani forest and its online-logistic baseline.

Every formula below follows DESIGN.md section 1; the tests hold a plain-numpy transcription of
each kernel (``tests/test_forest_kernels.py``) and require agreement to 1e-10.

Layout of one forest (``T`` trees, depth ``D``, ``K = 2**D - 1`` internal nodes, ``L = K + 1``
leaves, ``d`` features, ``C`` classes, ``G`` groups):

* ``W[t, k, :]`` (``T, K, d + 1``): oblique split of node ``k`` of tree ``t``, bias last;
  ``s_k(x) = sigmoid(W[t, k, :d] . x + W[t, k, d])`` is the probability of going *left*.
* Nodes are stored as a heap: node ``k`` has children ``2k + 1`` (left) and ``2k + 2`` (right);
  heap positions ``K .. 2K`` are the leaves ``0 .. L - 1``.
* ``TH[t, l, :]`` (``T, L, C``): leaf logits; ``p_t(x) = sum_l mu_l(x) softmax(TH[t, l])``,
  forest output ``P(x) = mean_t p_t(x)``.
* Group statistics (``fairness_memory="aggregate"``): ``N[a]`` samples of group ``a``,
  ``S[a, t, k] = sum s_k(x)`` and ``GM[a, t, k, :]`` the running mean of
  ``d s_k / d W[t, k] = s_k (1 - s_k) [x, 1]`` at the parameters of the time ``x`` was seen.
  With ``decay < 1`` (an extension, not in the paper) the sums are exponentially weighted per
  group: ``N_a <- decay N_a + 1``, ``S_a <- decay S_a + s``, and ``GM_a`` is the matching
  weighted mean, so the statistics follow the current parameters instead of the whole past.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# reassociation lets LLVM vectorize the dot products and reductions; results differ from
# strict IEEE order by rounding only (the numpy reference agrees to 1e-10). No "nnan"/"ninf":
# the guards against under/overflow stay valid. error_model="numpy" drops the per-division
# ZeroDivisionError check that otherwise blocks vectorization (no denominator here can be 0).
_FASTMATH = {"reassoc", "contract", "arcp"}

# fairness-gradient shapes (the derivative H' of the penalty H applied to the parity gap F)
HUBER = 0  # H'(F) = F if |F| <= delta else delta * sign(F)        (DESIGN.md section 1)
UNCAPPED = 1  # H'(F) = F: the quadratic F**2 / 2, i.e. Huber with delta = infinity

# what the penalty equalizes between groups
NODES = 0  # every node decision s_k(x) (the paper's method)
OUTPUT = 1  # the forest's probability of the last class, P(y = classes_[-1] | x) (extension)

# where the fairness gradient's group means come from
AGGREGATE = 0  # O(1) running sums per group (the paper's method)
RESERVOIR = 1  # a reservoir of past inputs per group, re-evaluated at the current parameters


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _huber_prime(f, delta, shape):
    if shape == UNCAPPED:
        return f
    if f > delta:
        return delta
    if f < -delta:
        return -delta
    return f


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _node_outputs(x, W, s):
    """``s[t, k] = sigmoid(W[t, k, :d] . x + W[t, k, d])`` for one sample."""
    T, K, d1 = W.shape
    d = d1 - 1
    for t in range(T):
        for k in range(K):
            z = W[t, k, d]
            for j in range(d):
                z += W[t, k, j] * x[j]
            s[t, k] = _sigmoid(z)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _leaf_softmax(TH, Q):
    T, L, C = TH.shape
    if C == 2:  # softmax of two logits = sigmoid of their difference (one exp)
        for t in range(T):
            for l in range(L):
                z = TH[t, l, 1] - TH[t, l, 0]
                e = math.exp(-abs(z))  # both probabilities accurate, even the tiny one
                big, small = 1.0 / (1.0 + e), e / (1.0 + e)
                if z >= 0.0:
                    Q[t, l, 1], Q[t, l, 0] = big, small
                else:
                    Q[t, l, 1], Q[t, l, 0] = small, big
        return
    for t in range(T):
        for l in range(L):
            m = TH[t, l, 0]
            for c in range(1, C):
                if TH[t, l, c] > m:
                    m = TH[t, l, c]
            tot = 0.0
            for c in range(C):
                Q[t, l, c] = math.exp(TH[t, l, c] - m)
                tot += Q[t, l, c]
            for c in range(C):
                Q[t, l, c] /= tot


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _forward(x, W, TH, s, R, Q, P):
    """Node outputs ``s``, heap reach probabilities ``R`` (leaves at ``K..2K``), leaf softmax
    ``Q`` and the forest output ``P`` (mean over trees of ``sum_l mu_l softmax(theta_l)``)."""
    T, K, _ = W.shape
    L = K + 1
    C = TH.shape[2]
    _node_outputs(x, W, s)
    _leaf_softmax(TH, Q)
    for c in range(C):
        P[c] = 0.0
    for t in range(T):
        R[t, 0] = 1.0
        for k in range(K):
            R[t, 2 * k + 1] = R[t, k] * s[t, k]
            R[t, 2 * k + 2] = R[t, k] * (1.0 - s[t, k])
        for l in range(L):
            mu = R[t, K + l]
            for c in range(C):
                P[c] += mu * Q[t, l, c]
    for c in range(C):
        P[c] /= T


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_proba(X, W, TH):
    """Forest output ``P(x)`` for every row of ``X``: shape ``(n, C)``."""
    n = X.shape[0]
    T, K, _ = W.shape
    C = TH.shape[2]
    s = np.empty((T, K))
    R = np.empty((T, 2 * K + 1))
    Q = np.empty((T, K + 1, C))
    out = np.empty((n, C))
    for i in range(n):
        _forward(X[i], W, TH, s, R, Q, out[i])
    return out


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _adam(p, g, m, v, lr, b1, b2, eps, bc1, bc2):
    """One Adam step on flat views: ``p -= lr * m_hat / (sqrt(v_hat) + eps)`` (Kingma & Ba),
    with ``m_hat = m / bc1``, ``v_hat = v / bc2``, computed as
    ``p -= (lr sqrt(bc2) / bc1) * m / (sqrt(v) + eps sqrt(bc2))`` (the same quantity)."""
    root = math.sqrt(bc2)
    step = lr * root / bc1
    eps_hat = eps * root
    for i in range(p.size):
        m[i] = b1 * m[i] + (1.0 - b1) * g[i]
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i]
        p[i] -= step * m[i] / (math.sqrt(v[i]) + eps_hat)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _fairness_gradient(M, GM, wts, seen, lam, delta, shape, out, Mall, Gall):
    """Add ``lam * mean_a H'(F_a) (GM_a - GM_rest(a))`` to ``out`` (DESIGN.md section 1).

    ``M[a]`` are the group means of the node outputs, ``GM[a]`` the group means of their
    parameter gradients and ``wts[a]`` the group weights (sample counts) pooling the rest.
    Each seen group is compared with the pooled other groups, ``F_a = M_a - M_rest(a)``; the
    penalty is the mean over seen groups of ``H(F_a)``, which for two groups equals the paper's
    ``H(F)`` with ``F = M_1 - M_0``.
    """
    G, T, K, d1 = GM.shape
    n_seen = 0
    wtot = 0.0
    for a in range(G):
        if seen[a]:
            n_seen += 1
            wtot += wts[a]
    if n_seen < 2:
        return
    # pooled sums over all seen groups (Mall, Gall: work buffers of shapes (T, K), (T, K, d1))
    Mall[...] = 0.0
    Gall[...] = 0.0
    for a in range(G):
        if not seen[a]:
            continue
        for t in range(T):
            for k in range(K):
                Mall[t, k] += wts[a] * M[a, t, k]
                for j in range(d1):
                    Gall[t, k, j] += wts[a] * GM[a, t, k, j]
    scale = lam / n_seen
    for a in range(G):
        if not seen[a]:
            continue
        wrest = wtot - wts[a]
        for t in range(T):
            for k in range(K):
                f = M[a, t, k] - (Mall[t, k] - wts[a] * M[a, t, k]) / wrest
                h = scale * _huber_prime(f, delta, shape)
                if h == 0.0:
                    continue
                for j in range(d1):
                    grest = (Gall[t, k, j] - wts[a] * GM[a, t, k, j]) / wrest
                    out[t, k, j] += h * (GM[a, t, k, j] - grest)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _class_gradient(xb, s, R, Q, V, cls, coef, gW, gT):
    """``gW, gT = coef * d P_cls / d(W, TH) * T`` for one sample (overwrites both).

    With ``p_t = sum_l mu_l softmax(theta_l)``: ``d p_t[c] / d s_k = r_k (V_left - V_right)``
    where ``V`` is the expected leaf value ``softmax(theta_l)[c]`` of a subtree given that it
    is reached and ``r_k`` the reach probability of node ``k``; ``d s_k / d W_k = s_k (1 - s_k)
    [x, 1]``; ``d p_t[c] / d theta_lc' = mu_l q_lc (1[c = c'] - q_lc')``.
    """
    T, K, d1 = gW.shape
    L = K + 1
    C = gT.shape[2]
    for t in range(T):
        for l in range(L):
            V[K + l] = Q[t, l, cls]
        for k in range(K - 1, -1, -1):
            V[k] = s[t, k] * V[2 * k + 1] + (1.0 - s[t, k]) * V[2 * k + 2]
        for k in range(K):
            sk = s[t, k]
            gk = coef * R[t, k] * (V[2 * k + 1] - V[2 * k + 2]) * sk * (1.0 - sk)
            for j in range(d1):
                gW[t, k, j] = gk * xb[j]
        for l in range(L):
            mu = R[t, K + l]
            qy = Q[t, l, cls]
            for c in range(C):
                ind = 1.0 if c == cls else 0.0
                gT[t, l, c] = coef * mu * qy * (ind - Q[t, l, c])


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_learn_chunk(X, y, groups, u, W, TH, mW, vW, mT, vT, step, N, S, GM, RX, RN,
                       lam, delta, shape, memory, target, decay, lr, b1, b2, eps,
                       return_predictions):
    """Learn from a chunk one sample at a time; the whole per-sample loop of DESIGN.md section 1.

    For each sample, in order: (1) forward pass with the current parameters, the prediction
    ``argmax P(x)`` is recorded (prequential, before learning); (2) the group statistics take
    the sample in (aggregate: ``N_a += 1``, ``S_a[k] += s_k(x)``, running mean
    ``G_a[k] += (s_k (1 - s_k) [x, 1] - G_a[k]) / N_a``; reservoir: ``x`` enters group ``a``'s
    reservoir with Vitter's algorithm R driven by ``u[i]``); (3) task gradient of
    ``-log P_y(x)``; (4) fairness gradient on ``W`` once at least two groups have been seen;
    (5) one Adam step on all parameters. Arrays are updated in place.

    Returns the predicted class codes (empty when ``return_predictions`` is false).
    """
    n, d = X.shape
    T, K, d1 = W.shape
    L = K + 1
    C = TH.shape[2]
    G = N.shape[0]
    RES = RX.shape[1]
    s = np.empty((T, K))
    R = np.empty((T, 2 * K + 1))
    Q = np.empty((T, L, C))
    P = np.empty(C)
    V = np.empty(2 * K + 1)
    gW = np.empty((T, K, d1))
    gT = np.empty((T, L, C))
    xb = np.empty(d1)
    M = np.zeros((G, T, K))
    RG = np.zeros((G, T, K, d1))
    wts = np.zeros(G)
    seen = np.zeros(G, dtype=np.bool_)
    Wt = np.empty((d, T * K))
    Zs = np.empty(T * K)
    pred = np.empty(n if return_predictions else 0, dtype=np.int64)
    fW = W.reshape(-1)
    fT = TH.reshape(-1)
    fgW = gW.reshape(-1)
    fgT = gT.reshape(-1)
    fmW = mW.reshape(-1)
    fvW = vW.reshape(-1)
    fmT = mT.reshape(-1)
    fvT = vT.reshape(-1)
    nW = W.size
    nT = TH.size
    oW = np.empty((T, K, d1))
    oT = np.empty((T, L, C))
    foW = oW.reshape(-1)
    foT = oT.reshape(-1)
    fo = np.empty((1, 1, nW + nT))
    MO = np.zeros((G, 1, 1))
    bufM = np.empty((T, K))
    bufG = np.empty((T, K, d1))
    bufMO = np.empty((1, 1))
    bufGO = np.empty((1, 1, nW + nT))
    for i in range(n):
        x = X[i]
        yi = y[i]
        a = groups[i]
        for j in range(d):
            xb[j] = x[j]
        xb[d] = 1.0
        # (1) forward pass and prequential prediction
        _forward(x, W, TH, s, R, Q, P)
        if return_predictions:
            best = 0
            for c in range(1, C):
                if P[c] > P[best]:
                    best = c
            pred[i] = best
        # (2) group statistics at the current parameters
        if target == OUTPUT:
            pass  # see (2b): needs the output gradient
        elif memory == AGGREGATE:
            # with decay < 1 the group's past weighs decay**age (decay = 1: the paper's sums)
            N[a] = decay * N[a] + 1.0
            inv_n = 1.0 / N[a]
            for t in range(T):
                for k in range(K):
                    sk = s[t, k]
                    S[a, t, k] = decay * S[a, t, k] + sk
                    ds = sk * (1.0 - sk)
                    for j in range(d1):
                        GM[a, t, k, j] += (ds * xb[j] - GM[a, t, k, j]) * inv_n
        else:
            N[a] += 1.0
            cnt = int(RN[a])
            if cnt < RES:
                slot = cnt
                RN[a] += 1.0
            else:
                slot = int(u[i] * N[a])  # uniform in 0 .. N_a - 1 (Vitter's algorithm R)
            if slot < RES:
                for j in range(d):
                    RX[a, slot, j] = x[j]
        # (3) task gradient of -log P_y: dL/dp_t[y] = -1 / (T P_y)
        py = P[yi]
        if py < 1e-300:
            py = 1e-300
        _class_gradient(xb, s, R, Q, V, yi, -1.0 / (T * py), gW, gT)
        # (2b) output-level statistics: P_pos(x) and its gradient d P_pos / d(W, TH)
        if target == OUTPUT:
            _class_gradient(xb, s, R, Q, V, C - 1, 1.0 / T, oW, oT)
            N[a] = decay * N[a] + 1.0
            S[a, 0, 0] = decay * S[a, 0, 0] + P[C - 1]
            for j in range(nW):
                GM[a, 0, 0, j] += (foW[j] - GM[a, 0, 0, j]) / N[a]
            for j in range(nT):
                GM[a, 0, 0, nW + j] += (foT[j] - GM[a, 0, 0, nW + j]) / N[a]
        # (4) fairness gradient on the node parameters only (leaves get the task gradient)
        if lam != 0.0:
            for b in range(G):
                seen[b] = N[b] > 0.0
            if target == OUTPUT:
                for b in range(G):
                    wts[b] = N[b]
                    if seen[b]:
                        MO[b, 0, 0] = S[b, 0, 0] / N[b]
                for j in range(nW + nT):
                    fo[0, 0, j] = 0.0
                _fairness_gradient(MO, GM, wts, seen, lam, delta, shape, fo, bufMO, bufGO)
                for j in range(nW):
                    fgW[j] += fo[0, 0, j]
                for j in range(nT):
                    fgT[j] += fo[0, 0, nW + j]
            elif memory == AGGREGATE:
                for b in range(G):
                    wts[b] = N[b]
                    if seen[b]:
                        for t in range(T):
                            for k in range(K):
                                M[b, t, k] = S[b, t, k] / N[b]
                _fairness_gradient(M, GM, wts, seen, lam, delta, shape, gW, bufM, bufG)
            else:
                n_seen = 0
                for b in range(G):
                    if seen[b]:
                        n_seen += 1
                if n_seen >= 2:
                    # W[:, :, :d] as a (d, T*K) matrix so that the reservoir's node outputs
                    # are one matrix product per group
                    for t in range(T):
                        for k in range(K):
                            for j in range(d):
                                Wt[j, t * K + k] = W[t, k, j]
                    for b in range(G):
                        if not seen[b]:
                            continue
                        cnt = int(RN[b])
                        wts[b] = cnt
                        Z = np.dot(RX[b, :cnt], Wt)  # (cnt, T*K)
                        for r in range(cnt):
                            for t in range(T):
                                for k in range(K):
                                    sk = _sigmoid(Z[r, t * K + k] + W[t, k, d])
                                    Z[r, t * K + k] = sk * (1.0 - sk)
                                    Zs[t * K + k] = sk if r == 0 else Zs[t * K + k] + sk
                        DX = np.dot(Z.T, RX[b, :cnt])  # (T*K, d): sum_r ds_r x_r
                        for t in range(T):
                            for k in range(K):
                                q = t * K + k
                                M[b, t, k] = Zs[q] / cnt
                                tot = 0.0
                                for r in range(cnt):
                                    tot += Z[r, q]
                                for j in range(d):
                                    RG[b, t, k, j] = DX[q, j] / cnt
                                RG[b, t, k, d] = tot / cnt
                    _fairness_gradient(M, RG, wts, seen, lam, delta, shape, gW, bufM, bufG)
        # (5) Adam step
        step[0] += 1
        bc1 = 1.0 - b1 ** step[0]
        bc2 = 1.0 - b2 ** step[0]
        _adam(fW, fgW, fmW, fvW, lr, b1, b2, eps, bc1, bc2)
        _adam(fT, fgT, fmT, fvT, lr, b1, b2, eps, bc1, bc2)
    return pred


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def logistic_learn_chunk(X, y, groups, w, m, v, step, N, S, GM, lam, delta, shape, decay,
                         lr, b1, b2, eps, return_predictions):
    """Online logistic regression with the aggregate fairness gradient on its output ``s(x)``.

    The same five steps as :func:`forest_learn_chunk` with a single "node":
    ``s(x) = sigmoid(w[:d] . x + w[d])`` is ``P(y = 1 | x)``; task gradient
    ``(s - y) [x, 1]``; group statistics ``N_a``, ``S_a = sum s(x)``, ``G_a`` running mean of
    ``s (1 - s) [x, 1]``; fairness gradient ``lam * mean_a H'(F_a) (G_a - G_rest(a))``.
    """
    n, d = X.shape
    d1 = d + 1
    G = N.shape[0]
    g = np.empty(d1)
    xb = np.empty(d1)
    M = np.zeros((G, 1, 1))
    GM4 = GM.reshape((G, 1, 1, d1))
    S3 = S.reshape((G, 1, 1))
    wts = np.zeros(G)
    seen = np.zeros(G, dtype=np.bool_)
    g3 = g.reshape((1, 1, d1))
    bufM = np.empty((1, 1))
    bufG = np.empty((1, 1, d1))
    pred = np.empty(n if return_predictions else 0, dtype=np.int64)
    for i in range(n):
        a = groups[i]
        for j in range(d):
            xb[j] = X[i, j]
        xb[d] = 1.0
        z = 0.0
        for j in range(d1):
            z += w[j] * xb[j]
        sx = _sigmoid(z)
        if return_predictions:
            pred[i] = 1 if sx > 0.5 else 0
        N[a] = decay * N[a] + 1.0
        S3[a, 0, 0] = decay * S3[a, 0, 0] + sx
        ds = sx * (1.0 - sx)
        for j in range(d1):
            GM4[a, 0, 0, j] += (ds * xb[j] - GM4[a, 0, 0, j]) / N[a]
        for j in range(d1):
            g[j] = (sx - y[i]) * xb[j]
        if lam != 0.0:
            for b in range(G):
                seen[b] = N[b] > 0.0
                wts[b] = N[b]
                if seen[b]:
                    M[b, 0, 0] = S3[b, 0, 0] / N[b]
            _fairness_gradient(M, GM4, wts, seen, lam, delta, shape, g3, bufM, bufG)
        step[0] += 1
        _adam(w, g, m, v, lr, b1, b2, eps, 1.0 - b1 ** step[0], 1.0 - b2 ** step[0])
    return pred
