"""The forest's state in its kernels' packed layout, kept between calls.

The kernels of :mod:`._kernels` work on the node parameters feature-major and padded
(:func:`._kernels.packed_sizes`), with parameters, Adam moments and gradient in one flat vector.
Before, every chunk transposed the state in and out of that layout; one event paid it in full.
Now the packed arrays persist in a :class:`PackedForest` (kept in the estimator's per-event cache,
``_event_cache_["packed"]``) and the
estimator's attributes are views of them: ``node_weights_`` and the node moments are strided
views of the feature-major block, ``leaf_logits_`` and the leaf moments contiguous views, and
(aggregate node statistics) ``node_gradient_means_`` a strided view of the feature-major group
gradient means. So the attributes always show the current state, and writing into them writes
into the state.

A :class:`PackedForest` is valid only while the attributes are the very objects it made (or
was given): an assignment (a grown group, a restored snapshot, a user's new array) is detected
by identity and the state is packed again from the attributes, bit for bit. Pickling or copying
an estimator drops it (``__reduce__``): the copy packs its own from its attributes.
"""

from __future__ import annotations

import numpy as np

from . import _kernels as K

class PackedForest:
    """Packed parameters ``opt`` (3, nP), group gradient means ``GMi``, work buffers and the
    attribute objects they belong to (see the module docstring)."""

    __slots__ = ("opt", "GMi", "work", "objects", "memory", "target", "dims", "sizes",
                 "pdims", "state", "no_pred", "pred1", "proba")

    def __reduce__(self):
        return (PackedForest, ())  # pickle / deepcopy / copy: an empty one, packed again

    def valid_for(self, est) -> bool:
        """Whether ``est``'s attributes are still the objects this state was packed from
        (spelled out: this runs twice per event)."""
        try:
            o = self.objects
        except AttributeError:  # unpickled / copied: empty
            return False
        d = est.__dict__
        mom = d["adam_moments_"]
        return (d["node_weights_"] is o[0] and d["leaf_logits_"] is o[1] and mom is o[2]
                and mom["m_nodes"] is o[3] and mom["v_nodes"] is o[4]
                and mom["m_leaves"] is o[5] and mom["v_leaves"] is o[6]
                and d["node_gradient_means_"] is o[7] and d["group_counts_"] is o[8]
                and d["node_sums_"] is o[9] and d["adam_step_"] is o[10]
                and d["reservoir_"] is o[11] and d["reservoir_counts_"] is o[12]
                and d["samples_seen_"] is o[13])


def _attribute_objects(est):
    d = est.__dict__
    mom = d["adam_moments_"]
    return (d["node_weights_"], d["leaf_logits_"], mom, mom["m_nodes"], mom["v_nodes"],
            mom["m_leaves"], mom["v_leaves"], d["node_gradient_means_"], d["group_counts_"],
            d["node_sums_"], d["adam_step_"], d["reservoir_"], d["reservoir_counts_"],
            d["samples_seen_"])


def _node_view(flat, T, Kn, d1, nqp):
    """``(T, K, d + 1)`` strided view of a feature-major ``(d + 1) * nqp`` block."""
    return flat.reshape(d1, nqp)[:, :T * Kn].reshape(d1, T, Kn).transpose(1, 2, 0)


def pack(est, memory, target) -> PackedForest:
    """Pack ``est``'s state and make its attributes views of it (values unchanged)."""
    W, TH = est.node_weights_, est.leaf_logits_
    T, Kn, d1 = W.shape
    L, C = TH.shape[1], TH.shape[2]
    nq, nqp, nW, nP = K.packed_sizes(T, Kn, d1, C)
    mom = est.adam_moments_
    opt = np.zeros((3, nP))
    sources = ((W, TH), (mom["m_nodes"], mom["m_leaves"]), (mom["v_nodes"], mom["v_leaves"]))
    for r, (w, th) in enumerate(sources):
        opt[r, :nW].reshape(d1, nqp)[:, :nq] = np.reshape(w, (nq, d1)).T
        opt[r, nW:] = np.reshape(th, -1)
    G = est.group_counts_.shape[0]
    p = PackedForest()
    p.opt = opt
    p.memory, p.target = memory, target
    p.sizes = (T, Kn, d1, C, nq, nqp, nW, nP)
    p.work = K.make_work(T, Kn, d1, C, G)
    p.no_pred = np.empty(0, dtype=np.int64)
    p.pred1 = np.empty(1, dtype=np.int64)
    p.pdims = np.array([T, Kn, C], dtype=np.int64)
    p.proba = np.empty((1, C))
    est.node_weights_ = _node_view(opt[0, :nW], T, Kn, d1, nqp)
    est.leaf_logits_ = opt[0, nW:].reshape(T, L, C)
    est.adam_moments_ = {
        "m_nodes": _node_view(opt[1, :nW], T, Kn, d1, nqp),
        "v_nodes": _node_view(opt[2, :nW], T, Kn, d1, nqp),
        "m_leaves": opt[1, nW:].reshape(T, L, C),
        "v_leaves": opt[2, nW:].reshape(T, L, C),
    }
    if target == K.OUTPUT:
        p.GMi = np.zeros((G, nP, 1))  # filled from node_gradient_means_ at every call
    elif memory == K.AGGREGATE:
        GM = est.node_gradient_means_
        GMi = np.zeros((G, d1, nqp))
        GMi[:, :, :nq] = np.reshape(GM, (G, nq, d1)).transpose(0, 2, 1)
        p.GMi = GMi
        est.node_gradient_means_ = GMi[:, :, :nq].reshape(G, d1, T, Kn).transpose(0, 2, 3, 1)
    else:
        p.GMi = np.zeros((G, d1, nqp))  # unused: the reservoir re-evaluates its inputs
    # the Adam step and the rows-learned counter: one (2,) array the kernels update together
    # with the row (``step`` of ``forest_learn_nodes``), the attributes views of it
    counters = np.array([est.adam_step_[0], est.samples_seen_[0]], dtype=np.int64)
    est.adam_step_, est.samples_seen_ = counters[:1], counters[1:]
    for name in ("group_counts_", "node_sums_", "reservoir_", "reservoir_counts_"):
        arr = getattr(est, name)
        if not (arr.flags.c_contiguous and arr.dtype == np.float64):
            setattr(est, name, np.ascontiguousarray(arr, dtype=np.float64))
    p.objects = _attribute_objects(est)
    p.state = (est.group_counts_, est.node_sums_, counters, est.reservoir_,
               est.reservoir_counts_)
    return p


def learn(p, est, X, y, groups, hyper, dims, pred):
    """One kernel call of the variant in use on the packed state; the kernel's return code
    (-1: a non-finite row, nothing changed)."""
    N, S, step, RX, RN = p.state
    if p.memory == K.RESERVOIR:
        if X.shape[0] == 1 and not np.isfinite(X).all():
            return -1  # before the draws: a rejected event leaves the generator untouched
        rng_state, seen = est.rng_.bit_generator.state, step[1]
        try:
            u = est.rng_.random(X.shape[0])
            return K.forest_learn_reservoir(X, y, groups, u, p.opt, N, RX, RN, step, hyper,
                                            dims, p.work, pred)
        except BaseException:
            if step[1] == seen:  # the kernel did not run: neither did the draws
                est.rng_.bit_generator.state = rng_state
            raise
    elif p.target == K.OUTPUT:
        T, Kn, d1, C, nq, nqp, nW, nP = p.sizes
        GM = est.node_gradient_means_  # (G, 1, 1, nq * d1 + nT): nodes (node-major), leaves
        G = GM.shape[0]
        GMi = p.GMi
        GMi[:, :nW, 0].reshape(G, d1, nqp)[:, :, :nq] = GM[:, 0, 0, :d1 * nq].reshape(
            G, nq, d1).transpose(0, 2, 1)
        GMi[:, nW:, 0] = GM[:, 0, 0, d1 * nq:]
        try:
            return K.forest_learn_output(X, y, groups, p.opt, GMi, N, S, step, hyper, dims,
                                         p.work, pred)
        finally:  # the kernel's gradient means go back with the rest of its update
            GM[:, 0, 0, :d1 * nq] = GMi[:, :nW, 0].reshape(G, d1, nqp)[:, :, :nq].transpose(
                0, 2, 1).reshape(G, nq * d1)
            GM[:, 0, 0, d1 * nq:] = GMi[:, nW:, 0]
    return K.forest_learn_nodes(X, y, groups, p.opt, p.GMi, N, S, step, hyper, dims, p.work,
                                pred)
