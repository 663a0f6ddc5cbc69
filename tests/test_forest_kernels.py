"""The compiled forest kernels against a plain-numpy transcription of docs/user_guide/forest.md.

The reference is written differently from the kernel on purpose: leaf weights are explicit
products along root-to-leaf paths (not a heap recursion), the derivative of a leaf weight
with respect to a node decision is the product of the other factors on the path, groups are
kept in dicts, and the "rest" of a group is pooled from its members' raw statistics.
"""

import copy

import numpy as np
import pytest

from fairlearn_online.baselines import OnlineFairLogisticClassifier
from fairlearn_online.forest import AranyaniClassifier


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def leaf_paths(depth):
    """For every leaf, the list of (node index, went_left)."""
    paths = []
    for leaf in range(2 ** depth):
        k, path = 0, []
        for level in range(depth):
            bit = (leaf >> (depth - 1 - level)) & 1
            path.append((k, bit == 0))
            k = 2 * k + 1 + bit
        paths.append(path)
    return paths


def huber_prime(f, delta, shape):
    if shape == "sign_outside_band":
        return np.where(np.abs(f) < delta, f, np.sign(f))
    return f if shape == "uncapped" else np.clip(f, -delta, delta)


class ReferenceForest:
    """Slow numpy transcription of the per-sample update of the forest."""

    def __init__(self, W, TH, lam, delta, shape, memory, reservoir_size, lr=2e-3, b1=0.9,
                 b2=0.999, eps=1e-7, decay=1.0, target="nodes"):
        self.W, self.TH = W.copy(), TH.copy()
        self.mW, self.vW = np.zeros_like(W), np.zeros_like(W)
        self.mT, self.vT = np.zeros_like(TH), np.zeros_like(TH)
        self.t = 0
        self.lam, self.delta, self.shape, self.memory = lam, delta, shape, memory
        self.decay, self.target = decay, target
        self.res_size = reservoir_size
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        T, K, _ = W.shape
        self.depth = int(np.log2(K + 1))
        self.paths = leaf_paths(self.depth)
        self.N, self.S, self.Gsum, self.res = {}, {}, {}, {}

    def nodes(self, x):
        return sigmoid(self.W[:, :, :-1] @ x + self.W[:, :, -1])  # (T, K)

    def forward(self, x):
        s = self.nodes(x)
        T, K = s.shape
        mu = np.ones((T, K + 1))
        for l, path in enumerate(self.paths):
            for k, left in path:
                mu[:, l] *= s[:, k] if left else 1 - s[:, k]
        Q = np.exp(self.TH - self.TH.max(axis=2, keepdims=True))
        Q /= Q.sum(axis=2, keepdims=True)
        P = np.einsum("tl,tlc->c", mu, Q) / T
        return s, mu, Q, P

    def class_gradients(self, x, c, s, mu, Q):
        """d P_c / d W and d P_c / d TH of the forest output P = mean_t sum_l mu_l q_l."""
        T, K = s.shape
        C = Q.shape[2]
        onehot = np.eye(C)[c]
        gT = (1.0 / T) * mu[:, :, None] * Q[:, :, c][:, :, None] * (onehot - Q)
        dPds = np.zeros((T, K))
        for l, path in enumerate(self.paths):
            for k, left in path:
                others = np.ones(T)
                for k2, left2 in path:
                    if k2 != k:
                        others *= s[:, k2] if left2 else 1 - s[:, k2]
                dPds[:, k] += Q[:, l, c] * others * (1.0 if left else -1.0)
        xb = np.append(x, 1.0)
        gW = ((1.0 / T) * dPds * s * (1 - s))[:, :, None] * xb
        return gW, gT

    def task_gradients(self, x, y, s, mu, Q, P):
        gW, gT = self.class_gradients(x, y, s, mu, Q)
        return -gW / P[y], -gT / P[y]

    def group_means(self):
        """{group: (weight, mean node output (T, K), mean node gradient (T, K, d + 1))}."""
        out = {}
        for a in self.N:
            if self.memory == "aggregate" or self.target == "output":
                out[a] = (self.N[a], self.S[a] / self.N[a], self.Gsum[a] / self.N[a])
            else:
                rows = np.array(self.res[a])
                s = np.array([self.nodes(r) for r in rows])  # (n, T, K)
                ds = s * (1 - s)
                xb = np.hstack([rows, np.ones((len(rows), 1))])
                out[a] = (len(rows), s.mean(axis=0),
                          np.einsum("ntk,nj->tkj", ds, xb) / len(rows))
        return out

    def learn(self, x, y, a, u):
        s, mu, Q, P = self.forward(x)
        pred = int(np.argmax(P))
        xb = np.append(x, 1.0)
        if a not in self.N:
            self.N[a], self.S[a] = 0, np.zeros(s.shape)
            self.Gsum[a], self.res[a] = np.zeros(self.W.shape), []
        if self.target == "output":
            if a not in self.S or np.ndim(self.S[a]) != 0:
                self.S[a], self.Gsum[a] = 0.0, np.zeros(self.W.size + self.TH.size)
            oW, oT = self.class_gradients(x, Q.shape[2] - 1, s, mu, Q)
            self.N[a] = self.decay * self.N[a] + 1
            self.S[a] = self.decay * self.S[a] + P[-1]
            self.Gsum[a] = self.decay * self.Gsum[a] + np.concatenate([oW.ravel(), oT.ravel()])
        elif self.memory == "aggregate":
            self.N[a] = self.decay * self.N[a] + 1
            self.S[a] = self.decay * self.S[a] + s
            self.Gsum[a] = self.decay * self.Gsum[a] + (s * (1 - s))[:, :, None] * xb
        else:
            self.N[a] += 1
            if len(self.res[a]) < self.res_size:
                self.res[a].append(x.copy())
            else:
                j = int(u * self.N[a])
                if j < self.res_size:
                    self.res[a][j] = x.copy()
        gW, gT = self.task_gradients(x, y, s, mu, Q, P)
        if self.lam != 0 and len(self.N) >= 2:
            stats = self.group_means()
            for g in stats:
                others = [b for b in stats if b != g]
                w_rest = sum(stats[b][0] for b in others)
                m_rest = sum(stats[b][0] * stats[b][1] for b in others) / w_rest
                g_rest = sum(stats[b][0] * stats[b][2] for b in others) / w_rest
                h = huber_prime(stats[g][1] - m_rest, self.delta, self.shape)
                if self.target == "output":
                    full = self.lam / len(stats) * h * (stats[g][2] - g_rest)
                    gW = gW + full[:self.W.size].reshape(self.W.shape)
                    gT = gT + full[self.W.size:].reshape(self.TH.shape)
                else:
                    gW = gW + self.lam / len(stats) * h[:, :, None] * (stats[g][2] - g_rest)
        self.t += 1
        for p, g, m, v in ((self.W, gW, self.mW, self.vW), (self.TH, gT, self.mT, self.vT)):
            m[...] = self.b1 * m + (1 - self.b1) * g
            v[...] = self.b2 * v + (1 - self.b2) * g * g
            p -= self.lr * (m / (1 - self.b1 ** self.t)) / (
                np.sqrt(v / (1 - self.b2 ** self.t)) + self.eps)
        return pred


def run_reference(est_state, X, y, codes, u, **kw):
    ref = ReferenceForest(est_state["W"], est_state["TH"], **kw)
    preds = [ref.learn(X[i], y[i], codes[i], u[i] if len(u) else 0.0) for i in range(len(y))]
    return ref, np.array(preds)


def _stream(seed, n, d=4, n_classes=3, groups=("a", "b")):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, n_classes, n)
    g = rng.choice(np.array(groups, dtype=object), n)
    return X, y, g


def _start(est, X, y, g):
    """Validate and commit the first chunk; return the initial parameters and the chunk."""
    X_arr, codes, groups, commit = est._validate_partial_fit(X, y, g)
    commit()
    return {"W": est.node_weights_.copy(), "TH": est.leaf_logits_.copy()}, X_arr, codes, groups


VARIANTS = [dict(memory=m, target="nodes", decay=1.0) for m in ("aggregate", "reservoir")] + [
    dict(memory="aggregate", target="nodes", decay=0.97),
    dict(memory="aggregate", target="output", decay=1.0),
    dict(memory="aggregate", target="output", decay=0.95)]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
@pytest.mark.parametrize("shape,lam", [("sign_outside_band", 3.0), ("huber", 3.0),
                                       ("uncapped", 0.8), ("huber", 0.0)])
def test_kernel_matches_numpy_reference(variant, shape, lam):
    """Two chunks, a third group appearing in the second: kernel == reference to 1e-10."""
    memory, target, decay = variant["memory"], variant["target"], variant["decay"]
    n_classes = 2 if target == "output" else 3
    est = AranyaniClassifier(n_trees=2, depth=3, fairness_weight=lam, huber_delta=0.02,
                             learning_rate=0.01, fairness_gradient=shape, fairness_memory=memory,
                             reservoir_size=7, statistics_decay=decay, fairness_target=target,
                             wait_for_groups="never", random_state=3)
    X1, y1, g1 = _stream(0, 60, n_classes=n_classes)
    X2, y2, g2 = _stream(1, 50, n_classes=n_classes, groups=("a", "b", "c"))
    g2[:5] = "b"  # "c" first appears mid-chunk
    init, X1a, c1, gr1 = _start(est, X1, y1, g1)
    rng = copy.deepcopy(est.rng_)
    u1 = rng.random(60) if memory == "reservoir" else np.zeros(0)
    pred1 = est._partial_fit(X1a, c1, gr1, True)
    u2 = rng.random(50) if memory == "reservoir" else np.zeros(0)
    pred2 = est.partial_fit_predict(X2, y2, sensitive_features=g2)
    assert set(est.group_encoder_.groups_) == {"a", "b", "c"}
    assert est.group_encoder_.groups_[2] == "c"

    codes2 = est.group_encoder_.encode(g2.reshape(-1, 1), update=False)
    ref = ReferenceForest(init["W"], init["TH"], lam=lam, delta=0.02, shape=shape, memory=memory,
                          reservoir_size=7, lr=0.01, decay=decay, target=target)
    rp1 = [ref.learn(X1[i], y1[i], gr1[i], u1[i] if len(u1) else 0.0) for i in range(60)]
    rp2 = [ref.learn(X2[i], y2[i], codes2[i], u2[i] if len(u2) else 0.0) for i in range(50)]
    np.testing.assert_array_equal(pred1, est.classes_[rp1])
    np.testing.assert_array_equal(pred2, est.classes_[rp2])
    np.testing.assert_allclose(est.node_weights_, ref.W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(est.leaf_logits_, ref.TH, rtol=0, atol=1e-10)
    assert est.n_samples_seen_ == 110
    for a in range(3):
        assert est.group_counts_[a] == pytest.approx(ref.N[a], abs=1e-12)
        if target == "output":
            np.testing.assert_allclose(est.node_sums_[a, 0, 0], ref.S[a], rtol=0, atol=1e-10)
            np.testing.assert_allclose(est.node_gradient_means_[a, 0, 0], ref.Gsum[a] / ref.N[a],
                                       rtol=0, atol=1e-10)
        elif memory == "aggregate":
            np.testing.assert_allclose(est.node_sums_[a], ref.S[a], rtol=0, atol=1e-10)
            np.testing.assert_allclose(est.node_gradient_means_[a], ref.Gsum[a] / ref.N[a],
                                       rtol=0, atol=1e-10)
        else:
            n_res = len(ref.res[a])
            assert est.reservoir_counts_[a] == n_res
            np.testing.assert_array_equal(est.reservoir_[a, :n_res], np.array(ref.res[a]))


def test_fairness_gradient_actually_used():
    """lambda > 0 changes the node parameters but not before two groups are seen."""
    X, y, g = _stream(5, 40, n_classes=2)
    g[:] = "a"
    kw = dict(n_trees=1, depth=2, wait_for_groups="never", random_state=0)
    fair = AranyaniClassifier(fairness_weight=10.0, **kw).fit(X, y, sensitive_features=g)
    plain = AranyaniClassifier(fairness_weight=0.0, **kw).fit(X, y, sensitive_features=g)
    # equal up to rounding: lambda = 0 runs a fused (reordered) Adam pass in the kernel
    np.testing.assert_allclose(fair.node_weights_, plain.node_weights_, rtol=0, atol=1e-12)
    g2 = g.copy()
    g2[20:] = "b"
    fair.fit(X, y, sensitive_features=g2)
    plain.fit(X, y, sensitive_features=g2)
    assert np.abs(fair.node_weights_ - plain.node_weights_).max() > 1e-6
    np.testing.assert_array_equal(fair.predict_proba(X[:3]).shape, (3, 2))


def test_logistic_kernel_matches_reference():
    rng = np.random.default_rng(2)
    n, d = 120, 3
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    g = rng.choice(["u", "v", "w"], n)
    g[:10] = "u"
    lam, delta, lr = 2.0, 0.03, 0.05
    est = OnlineFairLogisticClassifier(fairness_weight=lam, huber_delta=delta, learning_rate=lr)
    pred = est.partial_fit_predict(X, y, sensitive_features=g)
    w, m, v = np.zeros(d + 1), np.zeros(d + 1), np.zeros(d + 1)
    N, S, Gs = {}, {}, {}
    preds = []
    for i in range(n):
        xb = np.append(X[i], 1.0)
        s = sigmoid(w @ xb)
        preds.append(int(s > 0.5))
        a = g[i]
        N[a] = N.get(a, 0) + 1
        S[a] = S.get(a, 0.0) + s
        Gs[a] = Gs.get(a, 0.0) + s * (1 - s) * xb
        grad = (s - y[i]) * xb
        if len(N) >= 2:
            for a2 in N:
                rest = [b for b in N if b != a2]
                nr = sum(N[b] for b in rest)
                f = S[a2] / N[a2] - sum(S[b] for b in rest) / nr
                grad = grad + lam / len(N) * np.clip(f, -delta, delta) * (
                    Gs[a2] / N[a2] - sum(Gs[b] for b in rest) / nr)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        w = w - lr * (m / (1 - 0.9 ** (i + 1))) / (np.sqrt(v / (1 - 0.999 ** (i + 1))) + 1e-7)
    np.testing.assert_array_equal(pred, preds)
    np.testing.assert_allclose(est.coef_, w, rtol=0, atol=1e-10)


def test_vectorized_exp_matches_numpy_to_one_ulp():
    from fairlearn_online.forest._kernels import _exp_minus_abs

    rng = np.random.default_rng(0)
    z = np.concatenate([rng.uniform(-50, 50, 20000), rng.uniform(-800, 800, 5000),
                        [0.0, -0.0, 1e-300, -745.2, 745.2, 708.0, 1e4, -1e4]])
    n = len(z)
    e = np.empty(n)
    kb = np.empty(n)
    ib = np.empty((2, n), dtype=np.int64)
    _exp_minus_abs(z, n, e, kb, ib, ib.view(np.float64))
    expected = np.exp(-np.abs(z))
    ulp = np.spacing(np.maximum(expected, np.finfo(float).tiny))
    assert np.all(np.abs(e - expected) <= ulp)
    assert e[-1] == 0.0 and e[n - 8] == 1.0  # exp(-1e4) underflows to 0; exp(0) is exactly 1


# ---------------------------------------------------------------- the authors' loop
# ``tests/aranyani_official.py`` transcribes the authors' ``train_online`` in their own layout
# and bookkeeping; with ``exact=False`` (float64, textbook Adam, no path epsilon, no clipping)
# it must equal the kernel for every fairness-gradient form and waiting rule.

from aranyani_official import from_estimator, h_of_gap, official_loop, to_library  # noqa: E402

WAITS = [("when_penalized", 2.0, True), ("never", 2.0, False), ("always", 0.0, True),
         ("when_penalized", 0.0, False)]


@pytest.mark.parametrize("form", ["sign_outside_band", "huber", "uncapped"])
@pytest.mark.parametrize("wait,lam,loop_waits", WAITS, ids=lambda v: str(v))
def test_kernel_matches_authors_loop(form, wait, lam, loop_waits):
    """Two chunks, the first of one group only (the wait crosses the chunk boundary)."""
    rng = np.random.default_rng(11)
    n, d = 160, 4
    X = rng.normal(size=(n, d))
    a = rng.integers(0, 2, n)
    a[:30] = 0
    y = ((X[:, 0] + a + rng.normal(size=n)) > 0.5).astype(int)
    est = AranyaniClassifier(n_trees=2, depth=3, fairness_weight=lam, huber_delta=0.05,
                             learning_rate=0.01, fairness_gradient=form, wait_for_groups=wait,
                             random_state=4)
    est._validate_partial_fit(X, y, a)[3]()  # initial parameters, nothing learned yet
    W, B, TH = from_estimator(est)
    p1 = est.partial_fit_predict(X[:40], y[:40], sensitive_features=a[:40])
    p2 = est.partial_fit_predict(X[40:], y[40:], sensitive_features=a[40:])
    ref, (W2, B2, TH2) = official_loop(X, y, a, W, B, TH, lam, delta=0.05, form=form,
                                       exact=False, wait=loop_waits, lr=0.01)
    np.testing.assert_array_equal(np.concatenate([p1, p2]), ref)
    np.testing.assert_allclose(est.node_weights_, to_library(W2, B2), rtol=0, atol=1e-10)
    np.testing.assert_allclose(est.leaf_logits_, TH2, rtol=0, atol=1e-10)
    assert est.n_samples_seen_ == n
    first_1 = int(np.argmax(a == 1))  # steps start at the first sample of the second group
    assert est.adam_step_[0] == (n - first_1 if loop_waits else n)


def test_fairness_gradient_forms_differ_outside_the_band():
    """h(F): the authors' form is F inside |F| < delta and sign(F) (magnitude 1) outside."""
    from fairlearn_online.forest import _kernels as K

    delta = 0.01
    gaps = np.array([-0.5, -0.01, -0.004, 0.0, 0.003, 0.0099, 0.01, 0.2])
    expect = {"sign_outside_band": [-1, -1, -0.004, 0, 0.003, 0.0099, 1, 1],
              "huber": [-0.01, -0.01, -0.004, 0, 0.003, 0.0099, 0.01, 0.01],
              "uncapped": gaps}
    codes = {"sign_outside_band": K.SIGN_OUTSIDE_BAND, "huber": K.HUBER,
             "uncapped": K.UNCAPPED}
    for form, want in expect.items():
        got = [K._huber_prime(f, delta, codes[form]) for f in gaps]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
        # the transcription's form (the authors' huber_check / sign(F - delta / 2)) agrees
        np.testing.assert_allclose(h_of_gap(gaps, delta, form, np.float64), want, atol=1e-15)
    # and the forms change what is learned
    X, y, g = _stream(3, 200, n_classes=2)
    weights = [AranyaniClassifier(fairness_weight=2.0, fairness_gradient=f, random_state=0)
               .fit(X, y, sensitive_features=g).node_weights_ for f in codes]
    assert min(np.abs(weights[i] - weights[j]).max()
               for i in range(3) for j in range(i + 1, 3)) > 1e-4


def test_wait_for_groups_takes_no_step_before_the_second_group():
    X, y, g = _stream(8, 60, n_classes=2)
    g[:25] = "a"
    g[25] = "b"
    kw = dict(n_trees=1, depth=2, random_state=0)
    for wait, lam, steps in [("when_penalized", 1.0, 35), ("when_penalized", 0.0, 60),
                             ("always", 0.0, 35), ("never", 1.0, 60)]:
        est = AranyaniClassifier(fairness_weight=lam, wait_for_groups=wait, **kw)
        est.partial_fit(X[:20], y[:20], sensitive_features=g[:20])
        if steps == 35:  # nothing learned yet: the initial parameters, predictions made
            init = AranyaniClassifier(fairness_weight=lam, wait_for_groups=wait, **kw)
            init._validate_partial_fit(X, y, g)[3]()
            np.testing.assert_array_equal(est.node_weights_, init.node_weights_)
            assert est.group_counts_[0] == 20
        est.partial_fit(X[20:], y[20:], sensitive_features=g[20:])
        assert (est.n_samples_seen_, int(est.adam_step_[0])) == (60, steps)
    with pytest.raises(ValueError, match="wait_for_groups"):
        AranyaniClassifier(wait_for_groups="yes").fit(X, y, sensitive_features=g)


# ---------------------------------------------------------------- the steps, one at a time
# Every step of the per-sample loop is a kernel of its own (compiled without a CPython wrapper:
# small kernels below call them), checked against the reference's formula on random inputs.

from numba import njit  # noqa: E402

from fairlearn_online.forest import _kernels as KK  # noqa: E402

FAIRNESS_CODES = {"sign_outside_band": KK.SIGN_OUTSIDE_BAND, "huber": KK.HUBER,
                  "uncapped": KK.UNCAPPED}


def _packed_nodes(W):
    """Feature-major, padded ``(d + 1, nqp)`` layout of the node parameters (the reference's
    transposition, written with numpy)."""
    T, Kn, d1 = W.shape
    nq, nqp, nW, nP = KK.packed_sizes(T, Kn, d1, 2)
    WT = np.zeros((d1, nqp))
    WT[:, :nq] = W.reshape(nq, d1).T
    return WT


@njit
def _run_forward(x, WT, TH, work, out_s, out_R, out_Q, out_P):
    T, K1 = out_s.shape
    wk, ib, fb, seen = work
    (zz, ee, kb, s, R, Q, P, V, gk, ds, xb, g, o, wts, Mi, bufM, bufG, bufh, Zs,
     RG) = KK._carve(wk, T, K1, x.shape[0] + 1, TH.shape[2], seen.shape[0], False)
    KK._forward(x, WT, TH, zz, ee, kb, ib, fb, s, R, Q, P)
    out_s[...] = s
    out_R[...] = R
    out_Q[...] = Q
    out_P[...] = P


@njit
def _run_class_gradient(x, WT, TH, work, cls, coef, gWT, gT):
    T = TH.shape[0]
    K1 = TH.shape[1] - 1
    d1 = x.shape[0] + 1
    wk, ib, fb, seen = work
    (zz, ee, kb, s, R, Q, P, V, gk, ds, xb, g, o, wts, Mi, bufM, bufG, bufh, Zs,
     RG) = KK._carve(wk, T, K1, d1, TH.shape[2], seen.shape[0], False)
    for j in range(d1 - 1):
        xb[j] = x[j]
    xb[d1 - 1] = 1.0
    KK._forward(x, WT, TH, zz, ee, kb, ib, fb, s, R, Q, P)
    KK._class_gradient(xb, s, R, Q, V, gk, cls, coef, gWT, gT, True)


@njit
def _run_node_statistics(a, s, xb, N, S, GMa, ds, decay):
    return KK._node_statistics(a, s, xb, N, S[a].reshape(s.shape[0]), GMa, ds, decay, True)


@njit
def _run_node_fairness(N, S, GMi, lam, delta, shape, out):
    G, d1, nqp = GMi.shape
    Mi = np.zeros((G, nqp))
    wts = np.zeros(G)
    seen = np.zeros(G, dtype=np.bool_)
    KK._node_fairness(N, S, GMi, Mi, wts, seen, lam, delta, shape, out, np.empty(nqp),
                      np.empty((d1, nqp)), np.empty(nqp))


@njit
def _run_adam(p, g, m, v, step, lr, b1, b2, eps):
    KK._adam_all(p, g, step, lr, b1, b2, eps)


def _random_forest(seed, T=2, depth=3, d=4, C=3):
    rng = np.random.default_rng(seed)
    Kn = 2 ** depth - 1
    return (rng.normal(size=(T, Kn, d + 1)), rng.normal(size=(T, Kn + 1, C)),
            rng.normal(size=d) * 2)


@pytest.mark.parametrize("C", [2, 3])
def test_forward_step_matches_reference(C):
    for seed in range(5):
        W, TH, x = _random_forest(seed, C=C)
        T, Kn, d1 = W.shape
        ref = ReferenceForest(W, TH, lam=0.0, delta=0.01, shape="huber", memory="aggregate",
                              reservoir_size=1)
        s_ref, mu_ref, Q_ref, P_ref = ref.forward(x)
        work = KK.make_work(T, Kn, d1, C, 2)
        s, R, Q, P = (np.empty((T, Kn)), np.empty((T, 2 * Kn + 1)), np.empty((T, Kn + 1, C)),
                      np.empty(C))
        _run_forward(x, _packed_nodes(W), TH, work, s, R, Q, P)
        np.testing.assert_allclose(s, s_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(R[:, Kn:], mu_ref, rtol=0, atol=1e-12)  # the leaves' reach
        np.testing.assert_allclose(Q, Q_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(P, P_ref, rtol=0, atol=1e-12)


def test_class_gradient_step_matches_reference():
    for seed in range(5):
        W, TH, x = _random_forest(seed, C=3)
        T, Kn, d1 = W.shape
        ref = ReferenceForest(W, TH, lam=0.0, delta=0.01, shape="huber", memory="aggregate",
                              reservoir_size=1)
        s, mu, Q, P = ref.forward(x)
        cls = seed % 3
        gW_ref, gT_ref = ref.class_gradients(x, cls, s, mu, Q)
        nq, nqp, nW, nP = KK.packed_sizes(T, Kn, d1, 3)
        gWT, gT = np.zeros((d1, nqp)), np.zeros(TH.shape)
        _run_class_gradient(x, _packed_nodes(W), TH, KK.make_work(T, Kn, d1, 3, 2), cls,
                            1.0 / T, gWT, gT)
        np.testing.assert_allclose(gWT[:, :nq].T.reshape(W.shape), gW_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(gT, gT_ref, rtol=0, atol=1e-12)
        assert np.all(gWT[:, nq:] == 0.0)  # the padding stays zero


def test_node_statistics_step_matches_reference():
    rng = np.random.default_rng(1)
    T, Kn, d = 2, 7, 4
    nq, nqp, nW, nP = KK.packed_sizes(T, Kn, d + 1, 2)
    N, S, GM = np.zeros(2), np.zeros((2, T, Kn)), np.zeros((2, d + 1, nqp))
    Nr, Sr, Gr = {0: 0.0, 1: 0.0}, {0: 0.0, 1: 0.0}, {0: 0.0, 1: 0.0}
    decay = 0.9
    ds = np.zeros(nqp)
    for i in range(30):
        a = int(rng.integers(0, 2))
        s = rng.uniform(size=(T, Kn))
        xb = np.append(rng.normal(size=d), 1.0)
        inv_n = _run_node_statistics(a, s.reshape(nq), xb, N, S, GM[a], ds, decay)
        Nr[a] = decay * Nr[a] + 1
        Sr[a] = decay * Sr[a] + s
        Gr[a] = decay * Gr[a] + (s * (1 - s))[:, :, None] * xb
        assert inv_n == pytest.approx(1.0 / Nr[a], rel=1e-15)
    for a in (0, 1):
        assert N[a] == pytest.approx(Nr[a], rel=1e-14)
        np.testing.assert_allclose(S[a], Sr[a], rtol=0, atol=1e-12)
        np.testing.assert_allclose(GM[a][:, :nq].T.reshape(T, Kn, d + 1), Gr[a] / Nr[a],
                                   rtol=0, atol=1e-12)
        assert np.all(GM[a][:, nq:] == 0.0)


@pytest.mark.parametrize("counts", [[5.0, 0.0, 2.5], [5.0, 1.5, 2.5]],
                         ids=["two-seen", "three-seen"])
@pytest.mark.parametrize("shape", ["sign_outside_band", "huber", "uncapped"])
def test_node_fairness_step_matches_reference(shape, counts):
    """lam * mean_a h(F_a) (G_a - G_rest(a)) over the seen groups: two of three (the kernel's
    one-pass form, F_a = M_a - M_b) and all three (pooled sums over the rest)."""
    rng = np.random.default_rng(7)
    T, Kn, d = 2, 3, 3
    nq, nqp, nW, nP = KK.packed_sizes(T, Kn, d + 1, 2)
    N = np.array(counts)
    S = rng.uniform(size=(3, T, Kn)) * N[:, None, None]
    GMn = rng.normal(size=(3, T, Kn, d + 1))  # node-major, the reference's layout
    GMi = np.zeros((3, d + 1, nqp))
    GMi[:, :, :nq] = GMn.reshape(3, nq, d + 1).transpose(0, 2, 1)
    lam, delta = 1.7, 0.05
    out = rng.normal(size=(d + 1, nqp))
    out[:, nq:] = 0.0
    expected = out[:, :nq].T.reshape(T, Kn, d + 1).copy()
    seen = [a for a in range(3) if N[a] > 0]
    for a in seen:
        rest = [b for b in seen if b != a]
        w_rest = sum(N[b] for b in rest)
        f = S[a] / N[a] - sum(S[b] for b in rest) / w_rest
        g_rest = sum(N[b] * GMn[b] for b in rest) / w_rest
        expected += lam / len(seen) * huber_prime(f, delta, shape)[:, :, None] * (GMn[a] - g_rest)
    _run_node_fairness(N, S, GMi, lam, delta, FAIRNESS_CODES[shape], out)
    np.testing.assert_allclose(out[:, :nq].T.reshape(T, Kn, d + 1), expected, rtol=0,
                               atol=1e-12)
    out1 = np.zeros((d + 1, nqp))
    _run_node_fairness(np.array([5.0, 0.0, 0.0]), S, GMi, lam, delta, 1, out1)
    assert np.all(out1 == 0.0)  # one seen group: no fairness gradient


def test_adam_step_matches_reference():
    rng = np.random.default_rng(3)
    n = 37
    opt = np.zeros((3, n))
    opt[0] = rng.normal(size=n)
    p, m, v = opt[0].copy(), np.zeros(n), np.zeros(n)
    step = np.zeros(1, dtype=np.int64)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    for t in range(1, 6):
        g = rng.normal(size=n)
        _run_adam(opt, g, opt[1], opt[2], step, lr, b1, b2, eps)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    assert step[0] == 5
    np.testing.assert_allclose(opt[0], p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(opt[1], m, rtol=0, atol=1e-14)
    np.testing.assert_allclose(opt[2], v, rtol=0, atol=1e-14)


def test_work_buffer_layout_fits():
    """The last view of _carve ends where the buffer make_work allocates has its last slot,
    the flag of the kept forward pass (both variants)."""
    for T, depth, d, C, G in [(1, 1, 1, 2, 1), (3, 4, 14, 2, 2), (2, 3, 5, 4, 5)]:
        Kn = 2 ** depth - 1
        wk = KK.make_work(T, Kn, d + 1, C, G)[0]
        assert wk.size == KK.work_size(T, Kn, d + 1, C, G)
        for output in (False, True):
            last = _carve_last(wk, T, Kn, d + 1, C, G, output)
            assert (last.ctypes.data - wk.ctypes.data) // 8 + last.size == wk.size - 1


@njit
def _carve_last(wk, T, K1, d1, C, G, output):
    return KK._carve(wk, T, K1, d1, C, G, output)[-1].reshape(-1)


def test_kernel_rejects_a_non_finite_row_and_changes_nothing():
    X, y, g = _stream(2, 30, n_classes=2)
    est = AranyaniClassifier(fairness_weight=2.0, random_state=0).fit(X, y, sensitive_features=g)
    packed = est._packed()
    before = [a.copy() for a in (packed.opt, packed.GMi, est.group_counts_, est.node_sums_,
                                 est.adam_step_)]
    bad = X[:1].copy()
    bad[0, 2] = np.nan
    hyper, dims = est._kernel_hyper()
    N, S, step, RX, RN = packed.state
    code = KK.forest_learn_nodes(bad, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64),
                                 packed.opt, packed.GMi, N, S, step, hyper, dims, packed.work,
                                 packed.no_pred)
    assert code == -1
    for a, b in zip(before, (packed.opt, packed.GMi, est.group_counts_, est.node_sums_,
                             est.adam_step_)):
        np.testing.assert_array_equal(a, b)
    assert KK.forest_predict(bad, packed.opt, packed.pdims, packed.work, np.empty((1, 2))) == -1


def test_packed_state_follows_the_attributes():
    """The attributes are views of the packed state; a replaced attribute is packed again;
    a deep copy or a pickle learns on its own state, bit for bit as the original."""
    import pickle

    X, y, g = _stream(4, 80, n_classes=2)
    est = AranyaniClassifier(fairness_weight=3.0, huber_delta=0.02, fairness_gradient="huber",
                             random_state=1)
    est.partial_fit(X[:40], y[:40], sensitive_features=g[:40])
    packed = est._packed()
    assert np.shares_memory(est.node_weights_, packed.opt)
    assert np.shares_memory(est.node_gradient_means_, packed.GMi)
    twin, loaded = copy.deepcopy(est), pickle.loads(pickle.dumps(est))
    for other in (twin, loaded):
        other.partial_fit(X[40:], y[40:], sensitive_features=g[40:])
    est.partial_fit(X[40:], y[40:], sensitive_features=g[40:])
    for other in (twin, loaded):
        assert not np.shares_memory(other.node_weights_, est.node_weights_)
        for name in ("node_weights_", "leaf_logits_", "node_gradient_means_", "node_sums_"):
            np.testing.assert_array_equal(getattr(other, name), getattr(est, name))
    # a new array (not a write into the view) is packed again before the next call
    est.node_weights_ = est.node_weights_ * 0.5
    est.leaf_logits_ = np.ascontiguousarray(est.leaf_logits_[:, :, ::-1])
    ref = ReferenceForest(est.node_weights_, est.leaf_logits_, lam=0.0, delta=0.01,
                          shape="huber", memory="aggregate", reservoir_size=1)
    np.testing.assert_allclose(est.predict_proba(X[:5]), [ref.forward(x)[3] for x in X[:5]],
                               rtol=0, atol=1e-12)
    assert np.shares_memory(est.node_weights_, est._packed().opt)
    # a write into a view is a write into the state
    est.leaf_logits_[...] = 0.0
    np.testing.assert_allclose(est.predict_proba(X[:3]), 0.5, rtol=0, atol=1e-15)


def test_learning_reuses_only_the_forward_pass_of_the_same_row():
    """predict_one leaves its forward pass (the flag in the work buffer's last slot) and
    learn_one of the same row uses it; another row, the same row with a zero of the other
    sign, or node outputs computed in between, do not; the model is that of learning alone."""
    X, y, g = _stream(4, 60, n_classes=2)
    X[40, 1] = 0.0
    est = AranyaniClassifier(fairness_weight=2.0, random_state=0).partial_fit(
        X[:30], y[:30], sensitive_features=g[:30], classes=[0, 1])
    ref = copy.deepcopy(est)
    flag = est._packed().work[0]
    for i in range(30, 60):
        if i % 4 == 1:
            est.predict_one(X[i - 1])  # another row
        elif i % 4 == 2:
            est.predict_one(X[i])
            est.node_outputs(X[:2])  # the forward buffers are overwritten
            assert flag[-1] == 0.0
        elif i == 40:
            flipped = X[i].copy()
            flipped[1] = -0.0
            est.predict_one(flipped)
        else:
            est.predict_one(X[i])
        if i % 4 in (0, 3) and i != 40:
            assert flag[-1] == 1.0
        est.learn_one(X[i], y[i], sensitive_features=g[i])
        assert flag[-1] == 0.0
        ref.partial_fit(X[i:i + 1], y[i:i + 1], sensitive_features=g[i:i + 1])
    for name in ("node_weights_", "leaf_logits_", "node_gradient_means_", "node_sums_"):
        assert np.array_equal(getattr(est, name), getattr(ref, name)), name
    assert np.array_equal(est.predict_proba(X), ref.predict_proba(X))


def test_logistic_predict_against_numpy():
    """logistic_predict: w . x + b and [1 - s, s] as numpy computes them (to rounding), the
    same bits for one row at a time, and the class of the last row."""
    rng = np.random.default_rng(8)
    X, w = rng.normal(size=(50, 6)), rng.normal(size=7) * 2.0
    z, proba = np.empty(50), np.empty((50, 2))
    best = KK.logistic_predict(X, w, z, proba)
    ref_z = X @ w[:-1] + w[-1]
    np.testing.assert_allclose(z, ref_z, rtol=1e-12, atol=1e-12)
    p1 = 1.0 / (1.0 + np.exp(-ref_z))
    np.testing.assert_allclose(proba, np.column_stack([1.0 - p1, p1]), rtol=1e-12, atol=1e-15)
    assert best == int(np.argmax(proba[-1]))
    z1, p1_buf = np.empty(1), np.empty((1, 2))
    for i in range(50):
        assert KK.logistic_predict(X[i:i + 1], w, z1, p1_buf) == int(np.argmax(proba[i]))
        assert z1[0] == z[i] and np.array_equal(p1_buf[0], proba[i])
