"""A plain numpy transcription of the authors' per-sample loop of Aranyani.

The authors' TensorFlow implementation ("Enhancing Group Fairness in Online Settings Using
Oblique Decision Forests", ``src/aranyani.py``: ``train_online``; the tree in ``src/fdt.py``:
``FairDecisionTree.__call__``; the forest in ``src/forest.py``) written out with numpy, one
sample at a time, in the authors' layout (``W[t]`` of shape ``(d, K)``, bias ``B[t]``, leaves
``theta[t]`` of shape ``(L, C)``) and with the authors' bookkeeping (one running-mean array
per group for the node-decision gradients, a running sum of node decisions per group, the
``huber_check`` / ``sign(F - delta / 2)`` form of the capped gradient, the ``continue``
before ``apply_gradients`` while a group is unseen, Keras' Adam and cross-entropy).

Every numerical detail the library does not reproduce is a switch, so that the same loop
serves two purposes:

* ``exact=True`` (the default): float32, Keras' Adam (``epsilon`` added to ``sqrt(v)``, not
  to ``sqrt(v_hat)``), ``1e-8`` added to every path factor, the cross-entropy of
  probabilities clipped to ``[1e-7, 1 - 1e-7]`` and renormalized; the reference the library
  is measured against at the paper's settings.
* ``exact=False``: float64, the textbook Adam, no path epsilon, plain ``-log P_y``; this must
  equal the library's kernel to rounding (``tests/test_forest_kernels.py``).

Run as a script, it prints the table of ``docs/user_guide/forest.md`` ("Fidelity to the
authors' code"): the library and this loop on ``load_stream("adult", random_state=0)`` at
every lambda of the paper's Adult grid.
"""

from __future__ import annotations

import numpy as np


def mask_matrix(depth):
    """The authors' ``construct_mask_matrix``: ``+1`` where leaf ``l`` lies left of internal
    node ``k`` (factor ``n_k``), ``-1`` right (factor ``1 - n_k``), 0 off the path."""
    K, L = 2 ** depth - 1, 2 ** depth
    M = np.zeros((K, L))
    for idx, leaf in enumerate(range(L, 2 * L)):
        anc = last = leaf
        while anc > 1:
            anc //= 2
            M[anc - 1, idx] = 1 if 2 * anc == last else -1
            last = anc
    return M


def h_of_gap(F, delta, form, dtype):
    """``h(F)``: the authors' ``huber_check * F + (1 - huber_check) * sign(F - delta / 2)``
    for ``"sign_outside_band"``, the clip for ``"huber"``, the identity for ``"uncapped"``."""
    if form == "uncapped":
        return F
    if form == "huber":
        return np.clip(F, -delta, delta).astype(dtype)
    check = (np.abs(F) < delta).astype(dtype)
    return check * F + (1 - check) * np.sign(F - dtype(delta / 2))


def official_loop(X, y, a, W, B, theta, lam, *, delta=0.01, form="sign_outside_band",
                  exact=True, wait=True, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-7):
    """Run the loop over ``(X, y, a)`` (``a`` in {0, 1}); return the prequential predictions
    and the final ``(W, B, theta)``. ``W`` is ``(T, d, K)``, ``B`` ``(T, K)``, ``theta``
    ``(T, L, C)``; ``wait`` is the ``continue`` while a group is unseen."""
    dt = np.float32 if exact else np.float64
    path_eps = dt(1e-8) if exact else dt(0)
    clip = 1e-7 if exact else 0.0
    W, B, TH = W.astype(dt).copy(), B.astype(dt).copy(), theta.astype(dt).copy()
    T, d, K = W.shape
    L, C = TH.shape[1], TH.shape[2]
    M = mask_matrix(int(np.log2(L))).astype(dt)
    on, left = M != 0, M > 0
    params = [W, B, TH]
    mom = [np.zeros_like(p) for p in params]
    vel = [np.zeros_like(p) for p in params]
    iterations = 0
    gw = [np.zeros((T, d, K)), np.zeros((T, d, K))]  # float64 running means, as the authors'
    gb = [np.zeros((T, K)), np.zeros((T, K))]
    agg = [np.zeros((T, K), dt), np.zeros((T, K), dt)]
    count = [0, 0]
    preds = np.empty(len(y), dtype=np.int64)
    one = dt(1)
    for i in range(len(y)):
        x = X[i].astype(dt)
        with np.errstate(over="ignore"):  # exp overflows to inf: n = 0, as in TensorFlow
            n = one / (one + np.exp(-(np.einsum("d,tdk->tk", x, W) + B)))  # (T, K)
        fac = np.where(on, np.where(left, n[:, :, None], one - n[:, :, None]), one) + path_eps
        leaf = fac.prod(axis=1)  # (T, L)
        if np.all(fac > 0):  # product of the other factors on each path
            others = leaf[:, None, :] / fac
        else:  # a saturated factor is 0: prefix * suffix products, no division
            pre = np.ones((T, K + 1, L), dt)
            suf = np.ones((T, K + 1, L), dt)
            for k in range(K):
                pre[:, k + 1] = pre[:, k] * fac[:, k]
                suf[:, K - k - 1] = suf[:, K - k] * fac[:, K - k - 1]
            others = pre[:, :K] * suf[:, 1:]  # (T, K, L)
        e = np.exp(TH - TH.max(axis=2, keepdims=True))
        q = e / e.sum(axis=2, keepdims=True)
        P = np.einsum("tl,tlc->c", leaf, q) / dt(T)
        preds[i] = int(np.argmax(P))
        # Keras' sparse cross-entropy on probabilities: -log(clip(P)_y) + log(sum clip(P))
        if exact:
            Pc = np.clip(P, dt(clip), dt(1 - clip))
            active = ((P >= dt(clip)) & (P <= dt(1 - clip))).astype(dt)
            gP = active * (one / Pc.sum())
            gP[y[i]] -= active[y[i]] / Pc[y[i]]
        else:
            gP = np.zeros(C, dt)
            gP[y[i]] = -one / P[y[i]]
        gP = gP / dt(T)
        g_leaf = np.einsum("c,tlc->tl", gP, q)
        g_q = gP[None, None, :] * leaf[:, :, None]
        g_theta = q * (g_q - (g_q * q).sum(axis=2, keepdims=True))
        g_n = np.einsum("tl,tkl,kl->tk", g_leaf, others, M)
        ds = n * (one - n)
        g_z = g_n * ds
        grads = [np.einsum("d,tk->tdk", x, g_z), g_z, g_theta]
        # group statistics: node decisions and d(sum_k n_k)/d(W, B) at the current parameters
        c = int(a[i])
        count[c] += 1
        agg[c] = agg[c] + n
        f = 1 / count[c]
        gw[c] = gw[c] * (1 - f) + np.einsum("d,tk->tdk", x, ds).astype(np.float64) * f
        gb[c] = gb[c] * (1 - f) + ds.astype(np.float64) * f
        if count[0] == 0 or count[1] == 0:
            if wait:
                continue  # no apply_gradients: the task gradient is dropped too
        else:
            F = agg[1] / dt(count[1]) - agg[0] / dt(count[0])  # (T, K)
            h = h_of_gap(F, delta, form, dt)
            grads[0] = grads[0] + dt(lam) * (h[:, None, :] * (gw[1] - gw[0]).astype(dt))
            grads[1] = grads[1] + dt(lam) * (h * (gb[1] - gb[0]).astype(dt))
        iterations += 1
        bc1, bc2 = 1 - beta1 ** iterations, 1 - beta2 ** iterations
        for p, g, m, v in zip(params, grads, mom, vel):
            m += (g - m) * dt(1 - beta1)
            v += (g * g - v) * dt(1 - beta2)
            if exact:  # Keras: p -= alpha m / (sqrt(v) + eps), alpha = lr sqrt(bc2) / bc1
                p -= dt(lr * np.sqrt(bc2) / bc1) * m / (np.sqrt(v) + dt(eps))
            else:  # Kingma & Ba: p -= lr m_hat / (sqrt(v_hat) + eps)
                p -= dt(lr) * (m / dt(bc1)) / (np.sqrt(v / dt(bc2)) + dt(eps))
    return preds, (W, B, TH)


def from_estimator(est):
    """The authors' layout of an :class:`AranyaniClassifier`'s parameters."""
    Wl = est.node_weights_
    W = np.transpose(Wl[:, :, :-1], (0, 2, 1)).copy()
    return W, Wl[:, :, -1].copy(), est.leaf_logits_.copy()


def to_library(W, B):
    """``node_weights_`` of the authors' ``(W, B)``."""
    return np.concatenate([np.transpose(W, (0, 2, 1)), B[:, :, None]], axis=2)


PAPER_ADULT_LAMBDAS = (0.0, 0.1, 0.3, 0.5, 1.0, 5.0, 10.0, 100.0)


def accuracy_dp(pred, y, a):
    return float(np.mean(pred == y)), float(abs(pred[a == 1].mean() - pred[a == 0].mean()))


def fidelity_table(lambdas=PAPER_ADULT_LAMBDAS, random_state=0, seed=0, n=None,
                   exact_modes=(True,)):
    """Rows ``(lambda, library acc, DP, then acc, DP of the loop for each of exact_modes)``;
    the float64 loop (``exact=False``) equals the library to rounding (the tests), so the
    table runs only the exact loop by default."""
    from fairlearn_online import AranyaniClassifier
    from fairlearn_online.datasets import load_stream

    X, y, g = load_stream("adult", random_state=random_state)
    if n is not None:
        X, y, g = X[:n], y[:n], g[:n]
    a = (g == "Male").astype(np.int64)
    rows = []
    for lam in lambdas:
        est = AranyaniClassifier(fairness_weight=lam, wait_for_groups="always",
                                 random_state=seed)
        est._validate_partial_fit(X, y, g)[3]()
        W, B, TH = from_estimator(est)
        lib = est.partial_fit_predict(X, y, sensitive_features=g)
        row = [lam, *accuracy_dp(lib, y, a)]
        for exact in exact_modes:
            p, _ = official_loop(X, y, a, W, B, TH, lam, exact=exact)
            row += accuracy_dp(p, y, a)
        rows.append(row)
        print(" ".join(f"{v:.4f}" for v in row), flush=True)
    return rows


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else None
    rows = fidelity_table(n=n)
    print("| lambda | library accuracy | library DP | authors' loop accuracy | authors' loop DP "
          "| abs. difference accuracy / DP |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]:g} | {r[1]:.4f} | {r[2]:.4f} | {r[3]:.4f} | {r[4]:.4f} "
              f"| {abs(r[1] - r[3]):.4f} / {abs(r[2] - r[4]):.4f} |")
