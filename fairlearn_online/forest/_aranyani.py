"""AranyaniClassifier: online oblique soft decision forest with aggregate-gradient group fairness.

``docs/user_guide/forest.md`` ("Algorithm"); paper: "Enhancing Group Fairness in Online Settings
Using Oblique Decision Forests" (ICLR 2024).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._core.estimator import Chunk
from .._core.random import make_generator
from .._core.deprecation import keyword_only_init
from .._core.docstrings import fill_doc
from .._core.events import _REJECTED
from .._core.jit import compiled_entry
from .._core.groups import GROUPS_ATTRIBUTE_DOC, LearnedGroupsMixin, grow_rows
from .._core.state import checkpoint
from .._core.validation import (POSITIVE_INT, RANDOM_STATE, Integral, Interval,
                                InvalidParameterError, StrOptions, validate_params)
from ..base import StreamingClassifierMixin, check_chunk_X, check_fitted, check_target
from . import _kernels as K
from . import _packed
from ._common import FAIRNESS_GRADIENTS, FAIRNESS_OPTIMIZER_CONSTRAINTS

__all__ = ["AranyaniClassifier", "SingleGroupWarning"]


class SingleGroupWarning(UserWarning):
    """The optimizer waits for a second group that cannot come: no ``sensitive_features``
    were given, so every sample is in one group and no step is ever taken."""

_MEMORIES = {"aggregate": K.AGGREGATE, "reservoir": K.RESERVOIR}
_TARGETS = {"nodes": K.NODES, "output": K.OUTPUT}
_WAITS = {"when_penalized": K.WAIT_WHEN_PENALIZED, "always": K.WAIT_ALWAYS,
          "never": K.WAIT_NEVER}
#: multiply-adds of the kernel per slice of a long chunk (~0.01-0.05 s; ``_partial_fit``)
_SLICE_WORK = 4e7


@fill_doc(groups_attribute=GROUPS_ATTRIBUTE_DOC)
class AranyaniClassifier(LearnedGroupsMixin, StreamingClassifierMixin, ClassifierMixin,
                         BaseEstimator):
    """Online oblique soft decision forest with demographic parity by aggregate gradients.

    A forest of ``n_trees`` complete soft binary trees of depth ``depth``. Internal node ``k``
    sends a sample left with probability ``s_k(x) = sigmoid(w_k . x + b_k)``; a leaf's weight
    ``mu_l(x)`` is the product of the decisions on its path; the forest predicts
    ``P(x) = mean_t sum_l mu_l(x) softmax(theta_l)``. Every sample is learned once, in stream
    order, by one Adam step on the cross-entropy plus a group-fairness gradient on the node
    parameters: with ``F_k = S_1[k] / N_1 - S_0[k] / N_0`` the gap between the groups' mean node
    outputs, the node parameters receive ``fairness_weight * h(F_k) * (G_1[k] - G_0[k])``,
    where ``G_a[k]`` is the running mean of ``d s_k / d(w_k, b_k)`` over group ``a``'s samples,
    each taken at the parameters of the time the sample was seen. The memory is
    ``O(n_trees * 2**depth * n_features * n_groups)``, independent of the stream's length.

    Parameters
    ----------
    n_trees : int, default=3
        Number of trees.
    depth : int, default=4
        Depth of every tree (``2**depth - 1`` internal nodes, ``2**depth`` leaves).
    fairness_weight : float, default=0.0
        The paper's lambda, the weight of the fairness gradient; 0 disables it.
    huber_delta : float, default=0.01
        The band ``delta`` of ``fairness_gradient`` on the node-level parity gap ``F_k``.
    learning_rate : float, default=2e-3
        Adam step size.
    beta1, beta2 : float, default=0.9, 0.999
        Adam moment decay rates.
    epsilon : float, default=1e-7
        Adam's denominator constant.
    fairness_gradient : {"sign_outside_band", "huber", "uncapped"}, default="sign_outside_band"
        The factor ``h(F_k)`` of the fairness gradient (``docs/user_guide/forest.md``, "The
        fairness gradient"). ``"sign_outside_band"`` is what the authors' implementation
        computes (``train_online`` in ``src/aranyani.py``): ``h(F) = F`` if ``|F| < delta``,
        else ``sign(F)``, a pull of magnitude 1 outside the band, so ``fairness_weight`` is the
        paper's lambda. ``"huber"`` is the derivative of the Huber penalty,
        ``h(F) = clip(F, -delta, delta)``: ``1 / delta`` times weaker outside the band (the
        library's earlier default; it needs a lambda about ``1 / delta`` larger).
        ``"uncapped"`` is ``h(F) = F`` (the quadratic penalty ``F**2 / 2``), a pull that keeps
        growing with the gap.
    wait_for_groups : {"when_penalized", "always", "never"}, default="when_penalized"
        Whether the optimizer takes no step at all (task gradient included) until two groups
        have been seen, i.e. until the fairness gradient is defined. ``"when_penalized"``
        waits when ``fairness_weight > 0`` (the authors' loop); ``"always"`` also with
        ``fairness_weight = 0`` (the authors' loop as their configurations run it, with
        ``compute_fairness=True`` at lambda = 0); ``"never"`` learns from the first sample. The
        samples before the second group still enter the group statistics and are predicted.
        With a single group (e.g. no ``sensitive_features``) and ``fairness_weight > 0`` the
        default therefore learns nothing (``adam_step_`` stays 0; a ``SingleGroupWarning``,
        once): use ``"never"`` there.
    fairness_memory : {"aggregate", "reservoir"}, default="aggregate"
        ``"aggregate"`` keeps O(1) running sums per group (the paper's method).
        ``"reservoir"`` keeps a uniform reservoir of ``reservoir_size`` past inputs per group
        and recomputes the group means of ``s_k`` and of its gradient at the current parameters
        for every sample (the paper's reservoir-sampling baseline; cost grows with the
        reservoir).
    reservoir_size : int, default=500
        Inputs kept per group with ``fairness_memory="reservoir"``.
    statistics_decay : float in (0, 1], default=1.0
        Forgetting factor of the aggregate statistics (an extension; 1 is the paper). Each new
        sample of group ``a`` multiplies ``N_a``, ``S_a`` and the weight of the past in ``G_a``
        by ``statistics_decay``, so the statistics cover about ``1 / (1 - statistics_decay)``
        recent samples per group. With 1 the means span the whole stream, and a gap of the
        current model moves ``F_k`` only at rate ``1 / N_a``.
    fairness_target : {"nodes", "output"}, default="nodes"
        What the penalty equalizes between groups. ``"nodes"`` is the paper: every node
        decision ``s_k(x)``, gradient on the node parameters only. ``"output"`` (an extension,
        binary labels, aggregate memory) equalizes the forest's output ``P(y = classes_[1] | x)``
        with the same aggregate-gradient scheme: ``S_a`` sums the outputs and ``G_a`` is the
        running mean of their gradient with respect to all parameters (nodes and leaves), so
        the memory is ``O(n_groups * n_parameters)``.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initialization (``w, b ~ N(0, 1)``, ``theta ~ U[0, 1)``) and the reservoir.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    %(groups_attribute)s
    group_encoder_ : GroupEncoder
        The encoder of the groups to their codes.
    node_weights_ : ndarray of shape (n_trees, 2**depth - 1, n_features_in_ + 1)
        Oblique split of every node, bias last. This and ``leaf_logits_`` are views of
        the kernels' packed state (``docs/user_guide/one_event.md``): writing into them in
        place between ``predict_one`` and ``learn_one`` of the same row is not supported
        (``learn_one`` reuses that prediction's forward pass); assigning a new array is.
    leaf_logits_ : ndarray of shape (n_trees, 2**depth, n_classes)
    group_counts_ : ndarray of shape (n_groups,)
        ``N_a`` (decayed with ``statistics_decay < 1``; otherwise the number of samples).
    node_sums_ : ndarray of shape (n_groups, n_trees, 2**depth - 1)
        ``S_a[k]``, the running sum of ``s_k(x)`` over group ``a`` (with
        ``fairness_target="output"``: shape ``(n_groups, 1, 1)``, sums of the output).
    node_gradient_means_ : ndarray of shape (n_groups, n_trees, 2**depth - 1, n_features_in_ + 1)
        ``G_a[k]`` (with ``fairness_target="output"``: shape ``(n_groups, 1, 1, n_parameters)``,
        node parameters then leaf logits).
    n_samples_seen_ : int
        Samples learned.
    adam_step_ : ndarray of shape (1,)
        Adam steps taken (fewer than ``n_samples_seen_`` when the optimizer waited for a
        second group, see ``wait_for_groups``).

    Notes
    -----
    **More than two groups.** Each seen group ``a`` is compared with the pooled other groups:
    ``F_a[k] = S_a[k] / N_a - sum_{b != a} S_b[k] / sum_{b != a} N_b``, and the penalty is the
    mean over seen groups of ``H(F_a[k])``; its gradient is
    ``fairness_weight * mean_a H'(F_a[k]) (G_a[k] - G_rest(a)[k])``. With two groups this is
    exactly the paper's ``H(F_k)``. No fairness gradient is applied until two groups have been
    seen (and, with the default ``wait_for_groups``, no step at all); groups appearing
    mid-stream get fresh statistics, the others keep theirs.

    **Order of one step.** Prediction with the current parameters (returned by
    :meth:`partial_fit_predict`), then the sample enters its group's statistics, then the task
    and fairness gradients are computed and one Adam step (bias-corrected, as in PyTorch) is
    taken. The node decisions ``s_k`` are what the penalty equalizes; parity of node decisions
    is not parity of predictions, so large ``fairness_weight`` values may be needed.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online import AranyaniClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3))
    >>> group = rng.integers(0, 2, 500)
    >>> y = (X[:, 0] + group > 0.5).astype(int)
    >>> clf = AranyaniClassifier(fairness_weight=1.0, random_state=0)
    >>> y_prequential = clf.partial_fit_predict(X, y, sensitive_features=group)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.group_counts_.tolist()
    [252.0, 248.0]
    """

    _finite_attributes = ("node_weights_", "leaf_logits_", "adam_moments_", "node_sums_",
                          "node_gradient_means_")
    #: may change between chunks (``docs/user_guide/protocol.md``); the others are frozen
    _mutable_params = ("fairness_weight", "huber_delta", "learning_rate", "beta1", "beta2",
                       "epsilon", "fairness_gradient", "statistics_decay")

    @keyword_only_init
    def __init__(self, *, n_trees=3, depth=4, fairness_weight=0.0, huber_delta=0.01,
                 learning_rate=2e-3, beta1=0.9, beta2=0.999, epsilon=1e-7,
                 fairness_gradient="sign_outside_band", fairness_memory="aggregate",
                 reservoir_size=500, statistics_decay=1.0, fairness_target="nodes",
                 wait_for_groups="when_penalized", random_state=None):
        self.n_trees = n_trees
        self.depth = depth
        self.fairness_weight = fairness_weight
        self.huber_delta = huber_delta
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.fairness_gradient = fairness_gradient
        self.fairness_memory = fairness_memory
        self.reservoir_size = reservoir_size
        self.statistics_decay = statistics_decay
        self.fairness_target = fairness_target
        self.wait_for_groups = wait_for_groups
        self.random_state = random_state

    # ------------------------------------------------------------------ validation
    _parameter_constraints = {
        "n_trees": [POSITIVE_INT],
        "depth": [Interval(Integral, 1, 12, closed="both")],  # 2**depth leaves per tree
        **FAIRNESS_OPTIMIZER_CONSTRAINTS,
        "fairness_memory": [StrOptions(set(_MEMORIES))],
        "reservoir_size": [POSITIVE_INT],
        "fairness_target": [StrOptions(set(_TARGETS))],
        "wait_for_groups": [StrOptions(set(_WAITS))],
        "random_state": RANDOM_STATE,
    }

    def _check_param_rules(self):
        if self.fairness_target == "output" and self.fairness_memory != "aggregate":
            raise InvalidParameterError(
                "fairness_target='output' needs fairness_memory='aggregate'.")

    def _validate_partial_fit(self, X, y, sensitive_features, classes=None):
        validate_params(self)
        reset = not self._is_fitted()
        X_arr, commit_X = check_chunk_X(self, X, reset=reset)
        n = X_arr.shape[0]
        y_arr = check_target(y, n)
        codes, classes_ = self._check_classes(y_arr, classes, reset=reset)
        if reset and self.fairness_target == "output" and len(classes_) != 2:
            raise ValueError(f"fairness_target='output' needs binary labels (parity of "
                             f"P(y = classes_[1])); got {len(classes_)} classes.")
        groups, encoder = self._check_groups(sensitive_features, n, reset=reset)

        def commit():
            commit_X()
            if reset:
                self.classes_ = classes_
                self._init_state(X_arr.shape[1], len(classes_))
            self.group_encoder_ = encoder
            self._grow_groups(encoder.n_groups)

        return Chunk(X_arr, codes, groups, commit)

    # ------------------------------------------------------------------ state
    def _init_state(self, n_features, n_classes):
        rng = make_generator(self.random_state)
        T, n_nodes = int(self.n_trees), 2 ** int(self.depth) - 1
        self.node_weights_ = rng.standard_normal((T, n_nodes, n_features + 1))
        self.leaf_logits_ = rng.random((T, n_nodes + 1, n_classes))
        self.adam_moments_ = {
            "m_nodes": np.zeros_like(self.node_weights_),
            "v_nodes": np.zeros_like(self.node_weights_),
            "m_leaves": np.zeros_like(self.leaf_logits_),
            "v_leaves": np.zeros_like(self.leaf_logits_),
        }
        self.adam_step_ = np.zeros(1, dtype=np.int64)
        self.samples_seen_ = np.zeros(1, dtype=np.int64)
        self.group_counts_ = np.zeros(0)
        if self.fairness_target == "nodes":
            self.node_sums_ = np.zeros((0, T, n_nodes))
            self.node_gradient_means_ = np.zeros((0, T, n_nodes, n_features + 1))
        else:
            n_params = self.node_weights_.size + self.leaf_logits_.size
            self.node_sums_ = np.zeros((0, 1, 1))  # sums of P(y = classes_[1] | x)
            self.node_gradient_means_ = np.zeros((0, 1, 1, n_params))
        res = int(self.reservoir_size) if self.fairness_memory == "reservoir" else 0
        self.reservoir_ = np.zeros((0, res, n_features))
        self.reservoir_counts_ = np.zeros(0)
        self.rng_ = rng

    def _grow_groups(self, n_groups):
        self.group_counts_ = grow_rows(self.group_counts_, n_groups)
        self.node_sums_ = grow_rows(self.node_sums_, n_groups)
        self.node_gradient_means_ = grow_rows(self.node_gradient_means_, n_groups)
        self.reservoir_ = grow_rows(self.reservoir_, n_groups)
        self.reservoir_counts_ = grow_rows(self.reservoir_counts_, n_groups)

    @property
    def n_samples_seen_(self):
        check_fitted(self)
        return int(self.samples_seen_[0])

    # ------------------------------------------------------------------ learning
    #: the kernels reject a non-finite event row themselves (``_core/events.py``)
    _event_row_checked = True
    #: one kernel call updates the state and the counters of an event (``_core/events.py``)
    _event_learn_atomic = True

    def _packed(self):
        """The packed kernel state (``forest/_packed.py``), packed again when an attribute was
        replaced since (a grown group, a restored snapshot, an unpickled copy)."""
        cache = self.__dict__.get("_event_cache_") or self._event_cache()
        packed = cache.get("packed")
        if packed is None or not packed.valid_for(self):
            packed = _packed.pack(self, _MEMORIES[self.fairness_memory],
                                  _TARGETS[self.fairness_target])
            cache["packed"] = packed
        return packed

    def _kernel_hyper(self):
        """``(hyper, dims)`` arrays of the learning kernels (see ``forest_learn_nodes``)."""
        T, n_nodes = self.node_weights_.shape[:2]
        hyper = np.array([self.fairness_weight, self.huber_delta, self.statistics_decay,
                          self.learning_rate, self.beta1, self.beta2, self.epsilon],
                         dtype=np.float64)
        dims = np.array([T, n_nodes, self.leaf_logits_.shape[2],
                         FAIRNESS_GRADIENTS[self.fairness_gradient],
                         _WAITS[self.wait_for_groups]], dtype=np.int64)
        return hyper, dims

    def _slice_rows(self):
        """Rows per slice of a long chunk: about ``_SLICE_WORK`` multiply-adds of the kernel."""
        n_nodes = 2 ** int(self.depth) - 1
        per_row = int(self.n_trees) * n_nodes * (self.n_features_in_ + 1) * 4
        if self.fairness_memory == "reservoir":
            per_row *= 1 + int(self.reservoir_size) * max(len(self.group_counts_), 1)
        if self.fairness_target == "output":
            per_row += 4 * max(len(self.group_counts_), 1) * (
                self.node_weights_.size + self.leaf_logits_.size)
        return max(1, int(_SLICE_WORK // per_row))

    def _warn_if_waiting_forever(self):
        """Warn once: a stream without ``sensitive_features`` has one group, and the optimizer
        that waits for two (``wait_for_groups``) would never take a step."""
        if self.__dict__.get("_single_group_warned") or \
                self.group_encoder_.columns_ != ["<none>"]:
            return
        waits = self.wait_for_groups == "always" or (
            self.wait_for_groups == "when_penalized" and self.fairness_weight != 0)
        if waits:
            self._single_group_warned = True
            warnings.warn(
                f"{type(self).__name__}(fairness_weight={self.fairness_weight!r}, "
                f"wait_for_groups={self.wait_for_groups!r}) got no sensitive_features: every "
                "sample is in one group, and the optimizer waits for two groups before any "
                "step, so the model never learns. Pass sensitive_features, or set "
                "wait_for_groups='never' (or fairness_weight=0).", SingleGroupWarning,
                stacklevel=5)

    def _partial_fit(self, X, y, groups, return_predictions):
        self._warn_if_waiting_forever()
        # a long chunk is learned in bounded slices, each committed (``_core/state.py``): Ctrl-C
        # is honoured between slices (a kernel does not look at signals) and keeps the slices
        # already learned, with their counters; the rows are learned in order either way, so
        # the result is bit for bit that of one call
        n = X.shape[0]
        step = self._slice_rows()
        if n <= step:
            return self._learn_slice(X, y, groups, return_predictions)
        preds = []
        for start in range(0, n, step):
            stop = min(start + step, n)
            pred = self._learn_slice(X[start:stop], y[start:stop], groups[start:stop],
                                     return_predictions)
            if return_predictions:
                preds.append(pred)
            if stop < n:
                checkpoint(self)
        return np.concatenate(preds) if return_predictions else None

    def _learn_slice(self, X, y, groups, return_predictions):
        packed = self._packed()
        pred = np.empty(X.shape[0] if return_predictions else 0, dtype=np.int64)
        _packed.learn(packed, self, X, y, groups, *self._kernel_hyper(), pred)  # counts too
        if return_predictions:
            return self.classes_[pred]
        return None

    def _event_learn(self, row, target, groups, return_predictions=False):
        """One validated event: the chunk kernel on the one-row buffers, with the kernel
        arguments of the last validated parameters (see ``_core/events.py``)."""
        cache = self.__dict__["_event_cache_"]
        if cache.get("hyper_for") is not cache["params"]:
            cache["hyper"] = self._kernel_hyper()
            cache["hyper_for"] = cache["params"]
        packed = self._packed()
        hyper, dims = cache["hyper"]
        pred = packed.pred1 if return_predictions else packed.no_pred
        # one kernel call learns the event and counts it (``samples_seen_`` is ``step[1]`` of
        # the kernel): an interrupt comes before or after both, never between
        if _packed.learn(packed, self, row, target, groups, hyper, dims, pred) < 0:
            return False  # a non-finite value: the chunk route raises its error
        return self.classes_[pred] if return_predictions else None

    def _event_fast_kernels(self):
        """The prebuilt route's callables (``_core/events.py``): the kernels' compiled entries
        bound to the packed state and to the kernel arguments of the last validated
        parameters. They hold the state's arrays, so any assignment of an attribute drops the
        route (empty ``keeps``)."""
        packed = self._packed()
        hyper, dims = self._kernel_hyper()
        cache = self._event_cache()
        class_list = cache["class_list"]
        row, target, groups = cache["row"], cache["target"], cache["groups"]
        opt, pdims, work, proba, no_pred = (packed.opt, packed.pdims, packed.work,
                                            packed.proba, packed.no_pred)
        predict_kernel = compiled_entry(K.forest_predict, (row, opt, pdims, work, proba))
        if packed.memory == K.AGGREGATE and packed.target != K.OUTPUT:
            GMi, (N, S, step, _, _) = packed.GMi, packed.state
            learn_kernel = compiled_entry(K.forest_learn_nodes, (
                row, target, groups, opt, GMi, N, S, step, hyper, dims, work, no_pred))

            def learn(row, target, groups):  # -1: a non-finite value, nothing changed
                return learn_kernel(row, target, groups, opt, GMi, N, S, step, hyper, dims,
                                    work, no_pred) >= 0
        else:
            def learn(row, target, groups):
                return _packed.learn(packed, self, row, target, groups, hyper, dims,
                                     no_pred) >= 0

        def predict(row, groups):
            best = predict_kernel(row, opt, pdims, work, proba)
            return _REJECTED if best < 0 else class_list[best]

        return learn, predict, frozenset()

    # ------------------------------------------------------------------ prediction
    def predict_proba(self, X):
        """Forest class probabilities ``P(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        row = self._one_row_fast(X)  # one row, parameters as last validated: no re-checks
        if row is not None:
            proba = self._event_predict_proba(row)
            if proba is not None:
                return proba
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        return self._event_predict_proba(X_arr)

    def _event_predict_proba(self, X_arr):
        packed = self._packed()
        out = np.empty((X_arr.shape[0], packed.sizes[3]))
        if K.forest_predict(X_arr, packed.opt, packed.pdims, packed.work, out) < 0:
            return None  # a non-finite event row (chunks are validated before)
        return out

    def _event_predict(self, row, groups):
        packed = self._packed()
        best = K.forest_predict(row, packed.opt, packed.pdims, packed.work, packed.proba)
        if best < 0:
            return None
        return self.classes_[[best]]

    def _event_predict_value(self, row, groups):
        packed = self._packed()
        best = K.forest_predict(row, packed.opt, packed.pdims, packed.work, packed.proba)
        if best < 0:
            return _REJECTED  # a non-finite value: predict raises its error
        return self.__dict__["_event_cache_"]["class_list"][best]

    def node_outputs(self, X):
        """Every node's output ``s_k(x) = sigmoid(w_k . x + b_k)`` at the current parameters.

        Computed by the forest's own forward pass (the kernel behind :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        s : ndarray of shape (n_samples, n_trees, 2**depth - 1)
            Node ``k`` of tree ``t`` in heap order (the children of ``k`` are ``2k + 1`` and
            ``2k + 2``), as in ``node_weights_``.
        """
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        packed = self._packed()
        out = np.empty((X_arr.shape[0],) + self.node_weights_.shape[:2])
        K.forest_node_outputs(X_arr, packed.opt, packed.pdims, packed.work, out)
        return out

    def node_parity_gaps(self):
        """Node-level parity gaps ``F_k`` from the aggregate statistics (docs/user_guide/forest.md).

        Returns
        -------
        gaps : ndarray of shape (n_trees, 2**depth - 1)
            ``max_a S_a[k] / N_a - min_a S_a[k] / N_a`` over the groups seen so far: with two
            groups ``|F_k|``. The means mix parameters of different times, as the penalty does.
        """
        check_fitted(self)
        if self.fairness_target != "nodes" or self.fairness_memory != "aggregate":
            raise ValueError("node_parity_gaps needs the aggregate node statistics "
                             "(fairness_target='nodes', fairness_memory='aggregate').")
        seen = self.group_counts_ > 0
        if seen.sum() < 2:
            return np.zeros(self.node_sums_.shape[1:])
        means = self.node_sums_[seen] / self.group_counts_[seen][:, None, None]
        return means.max(axis=0) - means.min(axis=0)
