"""Compiled per-sample kernels of the Aranyani forest and its online-logistic baseline.

Every formula below is that of ``docs/user_guide/forest.md`` ("Algorithm"); the tests hold a
plain-numpy transcription of each kernel (``tests/test_forest_kernels.py``) and require agreement
to 1e-10.

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

from .._core.jit import configure as _configure_cache
from .._core.optim import FASTMATH, _step_numba, adam_step_numba

_configure_cache()  # a writable cache directory (read-only installs) and the compile notice

# reassociation lets LLVM vectorize the dot products and reductions; results differ from
# strict IEEE order by rounding only (the numpy reference agrees to 1e-10). No "nnan"/"ninf":
# the guards against under/overflow stay valid. error_model="numpy" drops the per-division
# ZeroDivisionError check that otherwise blocks vectorization (no denominator here can be 0).
# No "contract" either: whether LLVM fuses a multiply and an add into one FMA (one rounding
# instead of two) is decided at code generation, and a kernel compiled in this process and the
# same kernel loaded from numba's on-disk cache made different choices, so a run resumed in a
# fresh process differed in the last bit (tests/test_reliability.py checks cold vs cached).
_FASTMATH = FASTMATH  # {"reassoc", "arcp"}: also the flags of the shared Adam step

# the steps of a kernel are called only from kernels: no CPython wrapper to compile (boxing and
# unboxing their arguments was a large share of the first compilation); tests call them through
# small kernels of their own (tests/test_forest_kernels.py)
_STEP = dict(cache=True, fastmath=_FASTMATH, error_model="numpy", no_cpython_wrapper=True)

# fairness-gradient shapes h(F), the factor of the parity gap F in the fairness gradient
# (docs/user_guide/forest.md, "The fairness gradient")
HUBER = 0  # h(F) = clip(F, -delta, delta): the derivative of the Huber penalty
UNCAPPED = 1  # h(F) = F: the quadratic F**2 / 2, i.e. Huber with delta = infinity
SIGN_OUTSIDE_BAND = 2  # h(F) = F if |F| < delta else sign(F): the authors' train_online

# when the optimizer waits for two groups (no step at all, task gradient included, before the
# fairness gradient is defined)
WAIT_NEVER = 0
WAIT_WHEN_PENALIZED = 1  # only when lam > 0
WAIT_ALWAYS = 2  # also with lam = 0 (the authors' loop runs with compute_fairness=True)

# what the penalty equalizes between groups
NODES = 0  # every node decision s_k(x) (the paper's method)
OUTPUT = 1  # the forest's probability of the last class, P(y = classes_[-1] | x) (extension)

# where the fairness gradient's group means come from
AGGREGATE = 0  # O(1) running sums per group (the paper's method)
RESERVOIR = 1  # a reservoir of past inputs per group, re-evaluated at the current parameters


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _sigmoid(z):
    # one exp of -|z| (never overflows); the select compiles without a branch
    e = math.exp(-abs(z))
    return (1.0 if z >= 0.0 else e) / (1.0 + e)


# exp(x) for x <= 0 as straight-line arithmetic, so that a loop of them vectorizes (a call of
# libm's exp per node and per leaf is the largest cost of a sample otherwise): x = k ln2 + r with
# |r| <= ln2 / 2 (Cody-Waite, ln2 split in two), exp(r) by its Taylor polynomial of degree 13
# (truncation < 5e-18 relative), times 2**k built from exponent bits in two factors so that
# results down to the subnormal range round once. Measured against numpy's exp on 7e6 points
# spread over [-1e4, 0]: at most 1 ulp apart.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (
    1.0 / math.factorial(k) for k in range(2, 14))


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _exp_minus_abs(z, n, e, kb, ib, fb):
    """``e[i] = exp(-|z[i]|)`` for ``i < n``; ``kb`` (float), ``ib`` (int64, ``(2, n)``) and
    ``fb = ib.view(float64)`` are work buffers."""
    for i in range(n):
        x = max(-abs(z[i]), -1000.0)  # exp(-1000) = 0 in float64: same result, k stays small
        k = np.floor(x * _INV_LN2 + 0.5)
        r = (x - k * _LN2_HI) - k * _LN2_LO
        p = (((((((((((_E13 * r + _E12) * r + _E11) * r + _E10) * r + _E9) * r + _E8) * r + _E7)
                  * r + _E6) * r + _E5) * r + _E4) * r + _E3) * r + _E2) * r
        e[i] = (p + 1.0) * r + 1.0  # Horner down to 1 + r (1 + r (1/2 + ...))
        kb[i] = k
    for i in range(n):
        k = np.int64(kb[i])
        k1 = k >> 1
        ib[0, i] = (k1 + 1023) << 52  # 2**k1 and 2**(k - k1), both normal for k >= -2044
        ib[1, i] = (k - k1 + 1023) << 52
    for i in range(n):
        e[i] = e[i] * fb[0, i] * fb[1, i]


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _huber_prime(f, delta, shape):
    """``h(F)`` of the fairness gradient (see the shape constants above)."""
    if shape == UNCAPPED:
        return f
    if shape == SIGN_OUTSIDE_BAND:
        if abs(f) < delta:
            return f
        return 1.0 if f > 0.0 else -1.0  # |f| >= delta > 0 here
    return min(max(f, -delta), delta)


@njit(**_STEP)
def _leaf_softmax(TH, Q):
    """``Q[t, l] = softmax(TH[t, l])`` (the forward pass handles two classes itself)."""
    T, L, C = TH.shape
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


@njit(**_STEP)
def _forward(x, WT, TH, zz, ee, kb, ib, fb, s, R, Q, P):
    """Node outputs ``s`` (``(T, K)``), heap reach probabilities ``R`` (leaves at ``K..2K``),
    leaf softmax ``Q`` and the forest output ``P`` (mean over trees of
    ``sum_l mu_l softmax(theta_l)``). ``WT`` is feature-major (see :func:`packed_sizes`);
    ``zz, ee, kb`` are views of :func:`_carve`'s buffer, ``ib, fb`` from :func:`make_work`.

    ``s_q = sigmoid(W_q[:d] . x + W_q[d])``; with two classes ``softmax(theta_l) =
    (sigmoid(-z_l), sigmoid(z_l))``, ``z_l = theta_l1 - theta_l0``. Every sigmoid is
    ``(1 or e) / (1 + e)`` with ``e = exp(-|z|)`` (never overflows; the tiny probability stays
    accurate), and all the exps of a sample are taken in one vectorized loop.
    """
    T, K = s.shape
    L = K + 1
    C = TH.shape[2]
    nq = WT.shape[1]  # T * K nodes and the padding
    d = x.shape[0]
    for q in range(nq):
        zz[q] = WT[d, q]
    for j in range(d):
        xj = x[j]
        for q in range(nq):
            zz[q] += WT[j, q] * xj
    m = nq
    if C == 2:
        for t in range(T):
            for l in range(L):
                zz[nq + t * L + l] = TH[t, l, 1] - TH[t, l, 0]
        m = nq + T * L
    _exp_minus_abs(zz, m, ee, kb, ib, fb)
    for t in range(T):
        for k in range(K):
            q = t * K + k
            e = ee[q]
            s[t, k] = (1.0 if zz[q] >= 0.0 else e) / (1.0 + e)
    if C == 2:
        for t in range(T):
            for l in range(L):
                i = nq + t * L + l
                e = ee[i]
                pos = zz[i] >= 0.0
                Q[t, l, 1] = (1.0 if pos else e) / (1.0 + e)
                Q[t, l, 0] = (e if pos else 1.0) / (1.0 + e)
    else:
        _leaf_softmax(TH, Q)
    for c in range(C):
        P[c] = 0.0
    for t in range(T):
        R[t, 0] = 1.0
        for k in range(K):
            R[t, 2 * k + 1] = R[t, k] * s[t, k]
            R[t, 2 * k + 2] = R[t, k] * (1.0 - s[t, k])
        for c in range(C):
            acc = 0.0
            for l in range(L):
                acc += R[t, K + l] * Q[t, l, c]
            P[c] += acc
    for c in range(C):
        P[c] /= T


@njit(**_STEP)
def _adam_outer(WT, mWT, vWT, gk, xb, lr, b1, b2, eps, bc1, bc2, GMa, ds, inv_n, update_gm):
    """:func:`adam_step_numba` on the feature-major node parameters for the gradient
    ``gk[q] * xb[j]`` (the task gradient when there is no fairness gradient), formed on the fly;
    with ``update_gm`` the same pass does the group statistics' running mean
    ``GMa[j, q] += (ds[q] xb[j] - GMa[j, q]) inv_n`` (step (2) of :func:`forest_learn_nodes`).
    One pass over the parameters instead of three; the same arithmetic."""
    d1, nq = WT.shape
    step, eps_hat = _step_numba(lr, eps, bc1, bc2, True)
    for j in range(d1):
        xj = xb[j]
        if update_gm:
            for q in range(nq):
                GMa[j, q] += (ds[q] * xj - GMa[j, q]) * inv_n
        for q in range(nq):
            g = gk[q] * xj
            mq = b1 * mWT[j, q] + (1.0 - b1) * g
            vq = b2 * vWT[j, q] + (1.0 - b2) * g * g
            mWT[j, q] = mq
            vWT[j, q] = vq
            WT[j, q] -= step * mq / (math.sqrt(vq) + eps_hat)


@njit(**_STEP)
def _fairness_gradient(M, GM, wts, seen, lam, delta, shape, out, Mall, Gall, h):
    """Add ``lam * mean_a H'(F_a) (GM_a - GM_rest(a))`` to ``out`` (docs/user_guide/forest.md).

    ``M[a, q]`` are the group means of the ``Q`` penalized statistics (node outputs, or the
    forest output), ``GM[a, j, q]`` the group means of their gradients with respect to the
    ``J`` parameters of each (``out`` has shape ``(J, Q)``) and ``wts[a]`` the group weights
    (sample counts) pooling the rest. Each seen group is compared with the pooled other
    groups, ``F_a = M_a - M_rest(a)``; the penalty is the mean over seen groups of ``H(F_a)``,
    which for two groups equals the paper's ``H(F)`` with ``F = M_1 - M_0``. ``Mall``,
    ``Gall`` and ``h`` are work buffers of shapes ``(Q,)``, ``(J, Q)`` and ``(Q,)``.
    """
    G, J, Q = GM.shape
    n_seen = 0
    wtot = 0.0
    for a in range(G):
        if seen[a]:
            n_seen += 1
            wtot += wts[a]
    if n_seen < 2:
        return
    if n_seen == 2:
        # the rest of one group is the other: F_a = M_a - M_b (the paper's F = M_1 - M_0), and
        # both terms of the mean have the factor GM_a - GM_b; one pass instead of pooled sums
        a = -1
        b = -1
        for c in range(G):
            if seen[c]:
                if a < 0:
                    a = c
                else:
                    b = c
        half = 0.5 * lam
        for q in range(Q):
            f = M[a, q] - M[b, q]
            h[q] = half * (_huber_prime(f, delta, shape) - _huber_prime(-f, delta, shape))
        for j in range(J):
            for q in range(Q):
                out[j, q] += h[q] * (GM[a, j, q] - GM[b, j, q])
        return
    # pooled sums over all seen groups
    Mall[...] = 0.0
    Gall[...] = 0.0
    Gf = Gall.reshape(J * Q)
    for a in range(G):
        if not seen[a]:
            continue
        wa = wts[a]
        for q in range(Q):
            Mall[q] += wa * M[a, q]
        GMa = GM[a].reshape(J * Q)
        for p in range(J * Q):
            Gf[p] += wa * GMa[p]
    scale = lam / n_seen
    for a in range(G):
        if not seen[a]:
            continue
        wa = wts[a]
        wrest = wtot - wa
        for q in range(Q):
            f = M[a, q] - (Mall[q] - wa * M[a, q]) / wrest
            h[q] = scale * _huber_prime(f, delta, shape)
        if Q == 1:  # one statistic (the forest output, the logistic model): one flat loop
            h0 = h[0]
            if h0 == 0.0:
                continue
            GMa = GM[a].reshape(J)
            of = out.reshape(J)
            for j in range(J):
                grest = (Gf[j] - wa * GMa[j]) / wrest
                of[j] += h0 * (GMa[j] - grest)
        else:
            for j in range(J):
                for q in range(Q):
                    grest = (Gall[j, q] - wa * GM[a, j, q]) / wrest
                    out[j, q] += h[q] * (GM[a, j, q] - grest)


@njit(**_STEP)
def _class_gradient(xb, s, R, Q, V, gk, cls, coef, gWT, gT, outer=True):
    """``gWT, gT = coef * d P_cls / d(W, TH) * T`` for one sample (overwrites both; ``gWT`` is
    feature-major, ``(d + 1, T * K)``). ``gWT[j, q] = gk[q] * xb[j]`` is an outer product:
    ``gk`` receives its node factor, and with ``outer=False`` ``gWT`` is left untouched.

    With ``p_t = sum_l mu_l softmax(theta_l)``: ``d p_t[c] / d s_k = r_k (V_left - V_right)``
    where ``V`` is the expected leaf value ``softmax(theta_l)[c]`` of a subtree given that it
    is reached and ``r_k`` the reach probability of node ``k``; ``d s_k / d W_k = s_k (1 - s_k)
    [x, 1]``; ``d p_t[c] / d theta_lc' = mu_l q_lc (1[c = c'] - q_lc')``.
    """
    T, K = s.shape
    L = K + 1
    C = gT.shape[2]
    d1 = xb.shape[0]
    for t in range(T):
        for l in range(L):
            V[K + l] = Q[t, l, cls]
        for k in range(K - 1, -1, -1):
            V[k] = s[t, k] * V[2 * k + 1] + (1.0 - s[t, k]) * V[2 * k + 2]
        for k in range(K):
            sk = s[t, k]
            gk[t * K + k] = coef * R[t, k] * (V[2 * k + 1] - V[2 * k + 2]) * sk * (1.0 - sk)
        for l in range(L):
            mu = R[t, K + l]
            qy = Q[t, l, cls]
            for c in range(C):
                ind = 1.0 if c == cls else 0.0
                gT[t, l, c] = coef * mu * qy * (ind - Q[t, l, c])
    if not outer:
        return
    nq = gWT.shape[1]
    for j in range(d1):
        xj = xb[j]
        for q in range(nq):
            gWT[j, q] = gk[q] * xj


# ------------------------------------------------------------------ work buffers and layout
# The kernels allocate nothing: the parameters live in a packed state (below) that persists
# between calls, and every work array is a view of one float64 buffer allocated by the caller
# (no allocation to compile, no allocation per event).


def packed_sizes(T, K, d1, C):
    """``(nq, nqp, nW, nP)``: nodes, padded node columns, feature-major node block and all
    parameters of the packed layout ``[W feature-major (d1, nqp), TH (T, K + 1, C)]``.

    The kernels keep the node parameters (and their Adam moments and group gradient means)
    feature-major, ``WT[j, t * K + k] = W[t, k, j]``, so that every per-sample loop over the
    ``T * K`` nodes is contiguous and vectorizes (``d + 1`` is too short a loop to vectorize);
    the node columns are padded to ``nqp``, a multiple of 8, so that those loops run in whole
    SIMD vectors. The padding columns hold zeros (parameters, moments, gradients, statistics)
    and stay zero. The estimator's ``node_weights_`` etc. are strided views of this layout
    (``forest/_packed.py``)."""
    nq = T * K
    nqp = (nq + 7) // 8 * 8
    nW = d1 * nqp
    return nq, nqp, nW, nW + T * (K + 1) * C


def work_size(T, K, d1, C, G):
    """Length of the float64 work buffer: :func:`_carve`'s views, then one slot, the flag of
    :func:`_keep_forward`."""
    nq, nqp, nW, nP = packed_sizes(T, K, d1, C)
    L = K + 1
    m = nqp + T * L
    nQ = max(nqp, 1)
    nJ = max(d1, nP)
    return (3 * m + nq + T * (2 * K + 1) + T * L * C + C + (2 * K + 1) + 2 * nqp + d1
            + 2 * nP + G + G * nQ + nQ + nQ * nJ + nQ + nq + G * d1 * nqp + 1)


def make_work(T, K, d1, C, G):
    """``(wk, ib, fb, seen)``: the float64 buffer of :func:`_carve` (zeros), the int64 bits of
    the vectorized exp (``(2, m)``), their float64 view and the groups' seen flags."""
    nq, nqp, nW, nP = packed_sizes(T, K, d1, C)
    ib = np.zeros((2, nqp + T * (K + 1)), dtype=np.int64)
    return (np.zeros(work_size(T, K, d1, C, G)), ib, ib.view(np.float64),
            np.zeros(G, dtype=np.bool_))


@njit(**_STEP, inline="always")
def _forward_views(wk, T, K, d1, C):
    """The start of the work buffer: the forward pass's views ``(zz, ee, kb, s, R, Q, P)``
    (:func:`_forward`), ``xb = [x, 1]`` and the offset where :func:`_carve` goes on. Prediction
    takes only these: each view a kernel unpacks is compiled code (docs/user_guide/one_event.md,
    "Cold start")."""
    nq = T * K
    nqp = (nq + 7) // 8 * 8
    L = K + 1
    m = nqp + T * L
    zz = wk[0:m]
    ee = wk[m:2 * m]
    kb = wk[2 * m:3 * m]
    o = 3 * m
    s = wk[o:o + nq].reshape((T, K))
    o += nq
    R = wk[o:o + T * (2 * K + 1)].reshape((T, 2 * K + 1))
    o += T * (2 * K + 1)
    Q = wk[o:o + T * L * C].reshape((T, L, C))
    o += T * L * C
    P = wk[o:o + C]
    o += C
    xb = wk[o:o + d1]
    return zz, ee, kb, s, R, Q, P, xb, o + d1


# inlined into each kernel (numba's IR): a call returning twenty views compiled for longer than
# the same views carved in place (with the prediction's own views, about 0.3 s of a cold start)
@njit(cache=True, no_cpython_wrapper=True, inline="always")
def _carve(wk, T, K, d1, C, G, output):
    """Views of the work buffer: forward pass ``(zz, ee, kb, s, R, Q, P)``, gradients
    ``(V, gk, ds, xb, g, o)`` and fairness work ``(wts, M, bufM, bufG, bufh, Zs, RG)``
    (``M, bufM, bufG, bufh`` shaped for the node statistics, or the output's with ``output``)."""
    nq = T * K
    nqp = (nq + 7) // 8 * 8
    nW = d1 * nqp
    L = K + 1
    nP = nW + T * L * C
    nQ = max(nqp, 1)
    nJ = max(d1, nP)
    zz, ee, kb, s, R, Q, P, xb, o = _forward_views(wk, T, K, d1, C)
    V = wk[o:o + 2 * K + 1]
    o += 2 * K + 1
    gk = wk[o:o + nqp]
    o += nqp
    ds = wk[o:o + nqp]
    o += nqp
    g = wk[o:o + nP]
    o += nP
    ov = wk[o:o + nP]
    o += nP
    wts = wk[o:o + G]
    o += G
    if output:
        M = wk[o:o + G].reshape((G, 1))
        bufM = wk[o + G * nQ:o + G * nQ + 1]
        bufG = wk[o + G * nQ + nQ:o + G * nQ + nQ + nP].reshape((nP, 1))
        bufh = wk[o + G * nQ + nQ + nQ * nJ:o + G * nQ + nQ + nQ * nJ + 1]
    else:
        M = wk[o:o + G * nqp].reshape((G, nqp))
        bufM = wk[o + G * nQ:o + G * nQ + nqp]
        bufG = wk[o + G * nQ + nQ:o + G * nQ + nQ + d1 * nqp].reshape((d1, nqp))
        bufh = wk[o + G * nQ + nQ + nQ * nJ:o + G * nQ + nQ + nQ * nJ + nqp]
    o += G * nQ + nQ + nQ * nJ + nQ
    Zs = wk[o:o + nq]
    o += nq
    RG = wk[o:o + G * d1 * nqp].reshape((G, d1, nqp))
    return zz, ee, kb, s, R, Q, P, V, gk, ds, xb, g, ov, wts, M, bufM, bufG, bufh, Zs, RG


# ------------------------------------------------------------------ the steps of one sample
@njit(**_STEP)
def _all_finite(X):
    """Whether every entry of ``X`` is finite (one event's row reaches the kernels without a
    Python check: a kernel returns -1 and changes nothing otherwise)."""
    n, d = X.shape
    for i in range(n):
        for j in range(d):
            if not math.isfinite(X[i, j]):
                return False
    return True


@njit(**_STEP)
def _predicted_class(P):
    """``argmax P`` (the first of equal maxima, as ``np.argmax``)."""
    best = 0
    for c in range(1, P.shape[0]):
        if P[c] > P[best]:
            best = c
    return best


@njit(**_STEP)
def _keep_forward(wk, x, xb, P_x, P):
    """After :func:`forest_predict`: the work buffer's forward pass (``zz .. Q``) is that of
    its last row ``x``; keep ``xb = [x, 1]`` and ``P = P_x`` with it and set the flag (the
    last slot of ``wk``), so that learning that very row next skips its forward pass
    (:func:`_take_forward`). ``predict_one`` then ``learn_one`` of one event compute it
    once, as ``partial_fit_predict`` does."""
    d = x.shape[0]
    for j in range(d):
        xb[j] = x[j]
    xb[d] = 1.0
    for c in range(P.shape[0]):
        P[c] = P_x[c]
    wk[wk.shape[0] - 1] = 1.0


@njit(**_STEP)
def _take_forward(wk, X, xb):
    """Whether the work buffer holds the forward pass of ``X[0]`` at the current parameters
    (:func:`_keep_forward`, same bits: ``-0.0`` is not ``0.0`` here); clears the flag, as every
    caller is about to change the parameters or the buffers. The parameters are changed only
    by the learning kernels, which all call this first (writing into the estimator's
    parameter attributes, views of them, between ``predict_one`` and ``learn_one`` of the same
    row is not supported)."""
    last = wk.shape[0] - 1
    kept = wk[last] == 1.0
    wk[last] = 0.0
    if not kept or X.shape[0] == 0:
        return False
    x = X[0]
    for j in range(x.shape[0]):
        if x[j] != xb[j] or math.copysign(1.0, x[j]) != math.copysign(1.0, xb[j]):
            return False
    return True


@njit(**_STEP)
def _node_statistics(a, sf, xb, N, Sa, GMa, ds, decay, update_gm):
    """Step (2), aggregate memory: ``N_a <- decay N_a + 1``, ``S_a[k] <- decay S_a[k] + s_k``,
    ``ds_k = s_k (1 - s_k)`` and, with ``update_gm``, the running mean
    ``G_a[k] += (ds_k [x, 1] - G_a[k]) / N_a`` (``GMa`` feature-major ``(d + 1, nqp)``).
    Returns ``1 / N_a``."""
    nq = sf.shape[0]
    N[a] = decay * N[a] + 1.0
    inv_n = 1.0 / N[a]
    for q in range(nq):
        sq = sf[q]
        Sa[q] = decay * Sa[q] + sq
        ds[q] = sq * (1.0 - sq)
    if update_gm:
        _gradient_mean_update(GMa, ds, xb, inv_n)
    return inv_n


@njit(**_STEP)
def _gradient_mean_update(GMa, ds, xb, inv_n):
    """``GMa[j, q] += (ds[q] xb[j] - GMa[j, q]) inv_n``."""
    d1, nqp = GMa.shape
    for j in range(d1):
        xj = xb[j]
        for q in range(nqp):
            GMa[j, q] += (ds[q] * xj - GMa[j, q]) * inv_n


# inline="always": numba pastes this step into the kernel before LLVM sees it. Compiled as a
# function of its own, LLVM turned the divisions by N_b into multiplications by a reciprocal
# (fastmath "arcp") differently from the undivided kernel, and results moved in the last bit.
@njit(**_STEP, inline="always")
def _node_fairness(N, S, GMi, Mi, wts, seen, lam, delta, shape, out, bufM, bufG, bufh):
    """Step (4), aggregate node statistics: the group means ``M_a[k] = S_a[k] / N_a`` and
    :func:`_fairness_gradient` added to the node gradient ``out`` (feature-major)."""
    G = N.shape[0]
    nq = S.shape[1] * S.shape[2]
    for b in range(G):
        seen[b] = N[b] > 0.0
    for b in range(G):
        wts[b] = N[b]
        if seen[b]:
            Sb = S[b].reshape(nq)
            for q in range(nq):
                Mi[b, q] = Sb[q] / N[b]
    _fairness_gradient(Mi, GMi, wts, seen, lam, delta, shape, out, bufM, bufG, bufh)


@njit(**_STEP)
def _waits(N, wait, lam):
    """Step (5)'s condition: the optimizer waits (no step) while fewer than two groups have
    been seen, with ``WAIT_ALWAYS``, or ``WAIT_WHEN_PENALIZED`` and ``lam > 0``."""
    if wait == WAIT_ALWAYS or (wait == WAIT_WHEN_PENALIZED and lam != 0.0):
        n_seen = 0
        for b in range(N.shape[0]):
            if N[b] > 0.0:
                n_seen += 1
        return n_seen < 2
    return False


@njit(**_STEP)
def _adam_all(opt, g, step, lr, b1, b2, eps):
    """Step (5): the step counter and one Adam step on the packed parameters ``opt[0]`` with
    moments ``opt[1], opt[2]`` and gradient ``g``."""
    step[0] += 1
    bc1 = 1.0 - b1 ** step[0]
    bc2 = 1.0 - b2 ** step[0]
    adam_step_numba(opt[0], g, opt[1], opt[2], lr, b1, b2, eps, bc1, bc2, True)


@njit(**_STEP, inline="always")
def _learn_arrays(d, opt, dims, work, output):
    """Views of a kernel's parameters and buffers for ``d`` features: the parameters ``WT, TH``
    (``opt[0]``), the Adam moments of ``WT`` (``opt[1]``, ``opt[2]``), the gradient's ``WT, TH``
    parts, then :func:`_carve`'s views and the groups seen, in the order of the return."""
    d1 = d + 1
    T, K, C = dims[0], dims[1], dims[2]
    L = K + 1
    nq = T * K
    nqp = (nq + 7) // 8 * 8
    nW = d1 * nqp
    wk, ib, fb, seen = work
    (zz, ee, kb, s, R, Q, P, V, gk, ds, xb, g, o, wts, Mi, bufM, bufG, bufh, Zs,
     RG) = _carve(wk, T, K, d1, C, seen.shape[0], output)
    WT = opt[0, :nW].reshape((d1, nqp))
    THc = opt[0, nW:].reshape((T, L, C))
    mWT = opt[1, :nW].reshape((d1, nqp))
    vWT = opt[2, :nW].reshape((d1, nqp))
    gWT = g[:nW].reshape((d1, nqp))
    gT = g[nW:].reshape((T, L, C))
    return (WT, THc, mWT, vWT, gWT, gT, zz, ee, kb, ib, fb, s, R, Q, P, V, gk, ds, xb, g, o,
            wts, Mi, bufM, bufG, bufh, Zs, RG, seen)


@njit(**_STEP, inline="always")
def _predict_arrays(d, opt, dims, work):
    """What prediction takes of :func:`_learn_arrays`: the parameters ``WT, TH`` and the
    forward pass's views ``zz, ee, kb, ib, fb, s, R, Q, P, xb`` (:func:`_forward_views`)."""
    d1 = d + 1
    T, K, C = dims[0], dims[1], dims[2]
    nqp = (T * K + 7) // 8 * 8
    nW = d1 * nqp
    wk, ib, fb, seen = work
    zz, ee, kb, s, R, Q, P, xb, end = _forward_views(wk, T, K, d1, C)
    WT = opt[0, :nW].reshape((d1, nqp))
    THc = opt[0, nW:].reshape((T, K + 1, C))
    return WT, THc, zz, ee, kb, ib, fb, s, R, Q, P, xb


@njit(**_STEP, inline="always")
def _row_forward(i, X, y, step, xb, WT, TH, zz, ee, kb, ib, fb, s, R, Q, P, pred, kept):
    """The start of row ``i`` in every learning kernel: the rows-learned counter ``step[1]``
    (when ``step`` has it: in the same call as the row), ``xb = [x, 1]``, step (1) (the forward
    pass, unless ``kept``: the buffers hold it already, :func:`_take_forward`; the prequential
    prediction when ``pred`` has a row per row of ``X``); returns ``P_y`` floored at 1e-300
    for step (3)."""
    if step.shape[0] > 1:
        step[1] += 1
    if not kept:
        x = X[i]
        d = x.shape[0]
        for j in range(d):
            xb[j] = x[j]
        xb[d] = 1.0
        _forward(x, WT, TH, zz, ee, kb, ib, fb, s, R, Q, P)
    if pred.shape[0] == X.shape[0]:
        pred[i] = _predicted_class(P)
    py = P[y[i]]
    if py < 1e-300:
        py = 1e-300
    return py


@njit(**_STEP, inline="always")
def _fused_adam_step(opt, g, WT, mWT, vWT, gk, xb, step, lr, b1, b2, eps, GMa, ds, inv_n,
                     update_gm):
    """Step (5) without fairness term (``lam = 0``): Adam on the nodes with their gradient
    formed on the fly (:func:`_adam_outer`), then on the leaves."""
    nW = WT.size
    step[0] += 1
    bc1 = 1.0 - b1 ** step[0]
    bc2 = 1.0 - b2 ** step[0]
    _adam_outer(WT, mWT, vWT, gk, xb, lr, b1, b2, eps, bc1, bc2, GMa, ds, inv_n, update_gm)
    adam_step_numba(opt[0, nW:], g[nW:], opt[1, nW:], opt[2, nW:], lr, b1, b2, eps, bc1, bc2,
                    True)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_learn_nodes(X, y, groups, opt, GMi, N, S, step, hyper, dims, work, pred):
    """Learn from a chunk one sample at a time, aggregate node statistics (the paper's method):
    the per-sample loop of docs/user_guide/forest.md.

    For each sample, in order: (1) forward pass with the current parameters
    (:func:`_forward`); the prediction ``argmax P(x)`` goes to ``pred[i]`` when ``pred`` has
    a slot per row (prequential, before learning); (2) the group statistics take the sample in
    (:func:`_node_statistics`); (3) task gradient of ``-log P_y(x)``
    (:func:`_class_gradient`); (4) fairness gradient on ``W`` once at least two groups have
    been seen (:func:`_node_fairness`); (5) one Adam step on all parameters
    (:func:`_adam_all`), skipped (the step counter included) while fewer than two groups have
    been seen if the optimizer waits (:func:`_waits`). With ``lam = 0`` the node gradient is
    the outer product ``gk x [x, 1]``: the Adam step forms it on the fly, in the same pass as
    the group statistics' update (:func:`_adam_outer`).

    State (updated in place): ``opt`` (3, nP) packed parameters, Adam first and second
    moments (``[W feature-major (d + 1, nqp), TH]``, :func:`packed_sizes`); ``GMi``
    (G, d + 1, nqp) the group gradient means, feature-major; ``N`` (G,), ``S`` (G, T, K) and
    the step counter ``step`` (1,), or (2,) with ``step[1]`` counting the rows learned (the
    estimator's ``n_samples_seen_``: updated in the same call as the row, so an interrupt never
    separates an event from its count). ``hyper = [lam, delta, decay, lr, b1, b2, eps]``,
    ``dims = [T, K, C, shape, wait]``, ``work`` from :func:`make_work`.

    Returns 0, or -1 without changing anything when ``X`` has a non-finite entry (one event
    reaches the kernel unchecked; the caller then raises through the chunk validation).
    """
    if not _all_finite(X):
        return -1
    T, K, shape, wait = dims[0], dims[1], dims[3], dims[4]
    lam, delta, decay, lr = hyper[0], hyper[1], hyper[2], hyper[3]
    b1, b2, eps = hyper[4], hyper[5], hyper[6]
    (WT, THc, mWT, vWT, gWT, gT, zz, ee, kb, ib, fb, s, R, Q, P, V, gk, ds, xb, g, o, wts, Mi,
     bufM, bufG, bufh, Zs, RG, seen) = _learn_arrays(X.shape[1], opt, dims, work, False)
    kept = _take_forward(work[0], X, xb)
    nq = T * K
    sf = s.reshape(nq)
    fused = lam == 0.0
    for i in range(X.shape[0]):
        a = groups[i]
        # (1) forward pass and prequential prediction
        py = _row_forward(i, X, y, step, xb, WT, THc, zz, ee, kb, ib, fb, s, R, Q, P, pred,
                          kept and i == 0)
        # (2) group statistics at the current parameters
        inv_n = _node_statistics(a, sf, xb, N, S[a].reshape(nq), GMi[a], ds, decay,
                                 not fused)
        # (3) task gradient of -log P_y: dL/dp_t[y] = -1 / (T P_y)
        _class_gradient(xb, s, R, Q, V, gk, y[i], -1.0 / (T * py), gWT, gT, not fused)
        # (4) fairness gradient on the node parameters only (the leaves get the task gradient)
        if lam != 0.0:
            _node_fairness(N, S, GMi, Mi, wts, seen, lam, delta, shape, gWT, bufM, bufG, bufh)
        # (5) Adam step on all parameters, unless the optimizer waits for a second group
        if _waits(N, wait, lam):
            if fused:  # the fused pass would have done (2)
                _gradient_mean_update(GMi[a], ds, xb, inv_n)
            continue
        if fused:
            _fused_adam_step(opt, g, WT, mWT, vWT, gk, xb, step, lr, b1, b2, eps, GMi[a], ds,
                             inv_n, True)
        else:
            _adam_all(opt, g, step, lr, b1, b2, eps)
    return 0


@njit(**_STEP)
def _reservoir_insert(a, x, u_i, N, RX, RN):
    """Step (2), reservoir memory: ``x`` enters group ``a``'s reservoir (Vitter's algorithm R
    driven by the uniform ``u_i``)."""
    RES = RX.shape[1]
    N[a] += 1.0
    cnt = int(RN[a])
    if cnt < RES:
        slot = cnt
        RN[a] += 1.0
    else:
        slot = int(u_i * N[a])  # uniform in 0 .. N_a - 1 (Vitter's algorithm R)
    if slot < RES:
        for j in range(x.shape[0]):
            RX[a, slot, j] = x[j]


@njit(**_STEP)
def _reservoir_fairness(N, RX, RN, WT, Mi, RG, Zs, wts, seen, lam, delta, shape, out, bufM,
                        bufG, bufh):
    """Step (4), reservoir memory: each group's node outputs and their gradients re-evaluated
    on its reservoir at the current parameters (one matrix product per group), then
    :func:`_fairness_gradient`."""
    G = N.shape[0]
    d = RX.shape[2]
    nq = Zs.shape[0]
    for b in range(G):
        seen[b] = N[b] > 0.0
    n_seen = 0
    for b in range(G):
        if seen[b]:
            n_seen += 1
    if n_seen < 2:
        return
    for b in range(G):
        if not seen[b]:
            continue
        cnt = int(RN[b])
        wts[b] = cnt
        Z = np.dot(RX[b, :cnt], WT[:d])  # (cnt, nqp)
        for r in range(cnt):
            for q in range(nq):
                sk = _sigmoid(Z[r, q] + WT[d, q])
                Z[r, q] = sk * (1.0 - sk)
                Zs[q] = sk if r == 0 else Zs[q] + sk
        DX = np.dot(RX[b, :cnt].T, Z)  # (d, nqp): sum_r x_r ds_r
        for q in range(nq):
            Mi[b, q] = Zs[q] / cnt
            tot = 0.0
            for r in range(cnt):
                tot += Z[r, q]
            RG[b, d, q] = tot / cnt
        for j in range(d):
            for q in range(nq):
                RG[b, j, q] = DX[j, q] / cnt
    _fairness_gradient(Mi, RG, wts, seen, lam, delta, shape, out, bufM, bufG, bufh)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_learn_reservoir(X, y, groups, u, opt, N, RX, RN, step, hyper, dims, work, pred):
    """:func:`forest_learn_nodes` with the reservoir memory (the paper's baseline): step (2)
    is :func:`_reservoir_insert` (``u[i]`` uniform draws), step (4)
    :func:`_reservoir_fairness`. ``RX`` (G, size, d) and ``RN`` (G,) are the reservoirs."""
    if not _all_finite(X):
        return -1
    T, shape, wait = dims[0], dims[3], dims[4]
    lam, delta = hyper[0], hyper[1]
    lr, b1, b2, eps = hyper[3], hyper[4], hyper[5], hyper[6]
    (WT, THc, mWT, vWT, gWT, gT, zz, ee, kb, ib, fb, s, R, Q, P, V, gk, ds, xb, g, o, wts, Mi,
     bufM, bufG, bufh, Zs, RG, seen) = _learn_arrays(X.shape[1], opt, dims, work, False)
    kept = _take_forward(work[0], X, xb)
    fused = lam == 0.0
    for i in range(X.shape[0]):
        a = groups[i]
        py = _row_forward(i, X, y, step, xb, WT, THc, zz, ee, kb, ib, fb, s, R, Q, P, pred,
                          kept and i == 0)
        _reservoir_insert(a, X[i], u[i], N, RX, RN)
        _class_gradient(xb, s, R, Q, V, gk, y[i], -1.0 / (T * py), gWT, gT, not fused)
        if lam != 0.0:
            _reservoir_fairness(N, RX, RN, WT, Mi, RG, Zs, wts, seen, lam, delta, shape, gWT,
                                bufM, bufG, bufh)
        if _waits(N, wait, lam):
            continue
        if fused:  # the node gradient formed on the fly, as in forest_learn_nodes
            _fused_adam_step(opt, g, WT, mWT, vWT, gk, xb, step, lr, b1, b2, eps, RG[a], ds,
                             0.0, False)
        else:
            _adam_all(opt, g, step, lr, b1, b2, eps)
    return 0


@njit(**_STEP)
def _output_statistics(a, pos, o, N, S, GMi, decay):
    """Step (2b), ``fairness_target="output"``: ``N_a <- decay N_a + 1``,
    ``S_a <- decay S_a + P_pos(x)`` and the running mean of ``o = d P_pos / d(W, TH)``."""
    N[a] = decay * N[a] + 1.0
    S[a, 0, 0] = decay * S[a, 0, 0] + pos
    na = N[a]
    for p in range(o.shape[0]):
        GMi[a, p, 0] += (o[p] - GMi[a, p, 0]) / na


@njit(**_STEP)
def _output_fairness(N, S, GMi, Mi, wts, seen, lam, delta, shape, out, bufM, bufG, bufh):
    """Step (4), ``fairness_target="output"``: the groups' mean outputs and
    :func:`_fairness_gradient` on all parameters."""
    G = N.shape[0]
    for b in range(G):
        seen[b] = N[b] > 0.0
    for b in range(G):
        wts[b] = N[b]
        if seen[b]:
            Mi[b, 0] = S[b, 0, 0] / N[b]
    _fairness_gradient(Mi, GMi, wts, seen, lam, delta, shape, out, bufM, bufG, bufh)


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_learn_output(X, y, groups, opt, GMi, N, S, step, hyper, dims, work, pred):
    """:func:`forest_learn_nodes` with ``fairness_target="output"`` (an extension): the
    penalty equalizes the forest's probability of the last class. Step (2b)
    (:func:`_output_statistics`) takes ``P_pos(x)`` and its gradient with respect to all
    parameters into the group statistics; step (4) (:func:`_output_fairness`) puts the
    fairness gradient on all parameters. ``GMi`` (G, nP, 1) is in the packed order; ``S`` is
    (G, 1, 1)."""
    if not _all_finite(X):
        return -1
    T, C, shape, wait = dims[0], dims[2], dims[3], dims[4]
    lam, delta, decay, lr = hyper[0], hyper[1], hyper[2], hyper[3]
    b1, b2, eps = hyper[4], hyper[5], hyper[6]
    (WT, THc, mWT, vWT, gWT, gT, zz, ee, kb, ib, fb, s, R, Q, P, V, gk, ds, xb, g, o, wts, Mi,
     bufM, bufG, bufh, Zs, RG, seen) = _learn_arrays(X.shape[1], opt, dims, work, True)
    kept = _take_forward(work[0], X, xb)
    nW = WT.size
    oWT = o[:nW].reshape(WT.shape)
    oT = o[nW:].reshape(THc.shape)
    fo = g.reshape((g.size, 1))
    for i in range(X.shape[0]):
        a = groups[i]
        py = _row_forward(i, X, y, step, xb, WT, THc, zz, ee, kb, ib, fb, s, R, Q, P, pred,
                          kept and i == 0)
        _class_gradient(xb, s, R, Q, V, gk, y[i], -1.0 / (T * py), gWT, gT, True)
        _class_gradient(xb, s, R, Q, V, gk, C - 1, 1.0 / T, oWT, oT, True)
        _output_statistics(a, P[C - 1], o, N, S, GMi, decay)
        if lam != 0.0:
            _output_fairness(N, S, GMi, Mi, wts, seen, lam, delta, shape, fo, bufM, bufG,
                             bufh)
        if _waits(N, wait, lam):
            continue
        _adam_all(opt, g, step, lr, b1, b2, eps)
    return 0


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_predict(X, opt, dims, work, out):
    """Forest output ``P(x)`` of every row of ``X`` into ``out`` (``(n, C)``) from the packed
    parameters ``opt[0]``; returns ``argmax`` of the last row (``predict_one``), or -1 when
    ``X`` has a non-finite entry. The last row's forward pass stays in the work buffer for
    learning that row next (:func:`_keep_forward`)."""
    if not _all_finite(X):
        return -1
    WT, THc, zz, ee, kb, ib, fb, s, R, Q, P, xb = _predict_arrays(X.shape[1], opt, dims, work)
    best = 0
    for i in range(X.shape[0]):
        _forward(X[i], WT, THc, zz, ee, kb, ib, fb, s, R, Q, out[i])
    if X.shape[0] > 0:
        last = X.shape[0] - 1
        best = _predicted_class(out[last])
        _keep_forward(work[0], X[last], xb, out[last], P)
    return best


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def forest_node_outputs(X, opt, dims, work, out):
    """Node outputs ``s`` (:func:`_forward`) of every row of ``X`` into ``out`` (``(n, T, K)``)
    from the packed parameters ``opt[0]``; returns 0, or -1 when ``X`` has a non-finite
    entry."""
    if not _all_finite(X):
        return -1
    WT, THc, zz, ee, kb, ib, fb, s, R, Q, P, xb = _predict_arrays(X.shape[1], opt, dims, work)
    work[0][work[0].shape[0] - 1] = 0.0  # the forward buffers no longer hold a kept pass
    for i in range(X.shape[0]):
        _forward(X[i], WT, THc, zz, ee, kb, ib, fb, out[i], R, Q, P)
    return 0


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def logistic_predict(X, w, z, proba):
    """The online logistic model on every row of ``X``: ``z[i] = w[:d] . x_i + w[d]`` and
    ``proba[i] = [1 - s, s]`` with ``s = sigmoid(z[i])`` (:func:`_sigmoid`, as
    :func:`logistic_learn_chunk` predicts); each row summed in the same order whatever the
    number of rows, so one event and a chunk get the same bits. Returns the predicted class of
    the last row (1 when ``s > 1 - s``, as ``argmax proba``), 0 for no row."""
    n, d = X.shape
    best = 0
    for i in range(n):
        acc = 0.0
        for j in range(d):
            acc += w[j] * X[i, j]
        acc += w[d]
        z[i] = acc
        s = _sigmoid(acc)
        proba[i, 0] = 1.0 - s
        proba[i, 1] = s
        best = 1 if s > 1.0 - s else 0
    return best


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def logistic_learn_chunk(X, y, groups, w, m, v, step, N, S, GM, lam, delta, shape, decay,
                         lr, b1, b2, eps, return_predictions):
    """Online logistic regression with the aggregate fairness gradient on its output ``s(x)``.

    The same five steps as :func:`forest_learn_nodes` with a single "node":
    ``s(x) = sigmoid(w[:d] . x + w[d])`` is ``P(y = 1 | x)``; task gradient
    ``(s - y) [x, 1]``; group statistics ``N_a``, ``S_a = sum s(x)``, ``G_a`` running mean of
    ``s (1 - s) [x, 1]``; fairness gradient ``lam * mean_a H'(F_a) (G_a - G_rest(a))``.
    """
    n, d = X.shape
    d1 = d + 1
    G = N.shape[0]
    g = np.empty(d1)
    xb = np.empty(d1)
    M = np.zeros((G, 1))
    GM3 = GM.reshape((G, d1, 1))
    S3 = S.reshape((G, 1, 1))
    wts = np.zeros(G)
    seen = np.zeros(G, dtype=np.bool_)
    g2 = g.reshape((d1, 1))
    bufM = np.empty(1)
    bufG = np.empty((d1, 1))
    bufh = np.empty(1)
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
            GM3[a, j, 0] += (ds * xb[j] - GM3[a, j, 0]) / N[a]
        for j in range(d1):
            g[j] = (sx - y[i]) * xb[j]
        if lam != 0.0:
            for b in range(G):
                seen[b] = N[b] > 0.0
                wts[b] = N[b]
                if seen[b]:
                    M[b, 0] = S3[b, 0, 0] / N[b]
            _fairness_gradient(M, GM3, wts, seen, lam, delta, shape, g2, bufM, bufG, bufh)
        step[0] += 1
        adam_step_numba(w, g, m, v, lr, b1, b2, eps, 1.0 - b1 ** step[0], 1.0 - b2 ** step[0],
                        True)
    return pred
