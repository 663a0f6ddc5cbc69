"""The Aranyani paper's linear baseline in the library's streaming protocol
(docs/user_guide/forest.md), and the chunk validation the classifier baselines share.

* :class:`OnlineFairLogisticClassifier`: logistic regression trained online by Adam with the
  same aggregate fairness gradient as the forest, applied to its output ``s(x)``.
* ``_ChunkValidation``: ``_validate_partial_fit`` of :class:`OnlineFairLogisticClassifier`,
  :class:`FAHTClassifier` and the river adapter :class:`fairlearn_online.river.RiverClassifier`.

The reservoir-sampling baseline is ``AranyaniClassifier(fairness_memory="reservoir")``; the
majority class is :class:`fairlearn_online.baselines.MajorityClassClassifier`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._core.estimator import Chunk
from ..base import StreamingClassifierMixin, check_chunk_X, check_fitted, check_target
from ..forest import _kernels as K
from .._core.deprecation import keyword_only_init
from .._core.docstrings import fill_doc
from .._core.groups import GROUPS_ATTRIBUTE_DOC, LearnedGroupsMixin, grow_rows
from .._core.jit import compiled_entry
from .._core.validation import validate_params
from ..forest._common import FAIRNESS_GRADIENTS, FAIRNESS_OPTIMIZER_CONSTRAINTS

__all__ = ["OnlineFairLogisticClassifier"]


class _ChunkValidation(LearnedGroupsMixin):
    """``_validate_partial_fit`` shared by the baselines: X, y, classes and groups."""

    def _check_params(self):
        validate_params(self)

    def _on_reset(self, n_features, classes):  # pragma: no cover - overridden
        pass

    def _validate_partial_fit(self, X, y, sensitive_features, classes=None):
        self._check_params()
        reset = not self._is_fitted()
        X_arr, commit_X = check_chunk_X(self, X, reset=reset)
        n = X_arr.shape[0]
        y_arr = check_target(y, n)
        codes, classes_ = self._check_classes(y_arr, classes, reset=reset)
        if reset:
            self._check_n_classes(classes_)
        groups, encoder = self._check_groups(sensitive_features, n, reset=reset)

        def commit():
            commit_X()
            if reset:
                self.classes_ = classes_
                self._on_reset(X_arr.shape[1], classes_)
            self.group_encoder_ = encoder
            self._grow_groups(encoder.n_groups)

        return Chunk(X_arr, codes, groups, commit)

    def _check_n_classes(self, classes):
        pass

    def _grow_groups(self, n_groups):
        pass


@fill_doc(groups_attribute=GROUPS_ATTRIBUTE_DOC)
class OnlineFairLogisticClassifier(_ChunkValidation, StreamingClassifierMixin, ClassifierMixin,
                                   BaseEstimator):
    """Online logistic regression with the Aranyani aggregate fairness gradient on its output.

    The paper's linear baseline: ``s(x) = sigmoid(w . x + b) = P(y = classes_[1] | x)`` is
    learned by one Adam step per sample on the log loss plus
    ``fairness_weight * mean_a H'(F_a) (G_a - G_rest(a))`` where ``F_a`` is the gap between the
    mean ``s(x)`` of group ``a`` and of the other groups and ``G_a`` the running mean of
    ``d s / d(w, b)`` over group ``a`` (see
    :class:`~fairlearn_online.forest.AranyaniClassifier`). Binary labels only.

    Parameters
    ----------
    fairness_weight : float, default=0.0
    huber_delta : float, default=0.01
    learning_rate : float, default=2e-3
    beta1, beta2 : float, default=0.9, 0.999
    epsilon : float, default=1e-7
    fairness_gradient : {"huber", "uncapped"}, default="huber"
    statistics_decay : float in (0, 1], default=1.0
        Forgetting factor of the group statistics, as in
        :class:`~fairlearn_online.forest.AranyaniClassifier`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features_in_ + 1,)
        Weights, intercept last. Starts at zero.
    group_counts_, output_sums_, gradient_means_ : ndarray
        ``N_a``, ``S_a`` and ``G_a`` per group.
    %(groups_attribute)s

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.baselines import OnlineFairLogisticClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = OnlineFairLogisticClassifier(learning_rate=0.05)
    >>> clf = clf.fit(X, y, sensitive_features=X[:, 1] > 0)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _finite_attributes = ("coef_", "adam_moments_", "output_sums_", "gradient_means_")
    #: may change between chunks (``docs/user_guide/protocol.md``)
    _mutable_params = ("fairness_weight", "huber_delta", "learning_rate", "beta1", "beta2",
                       "epsilon", "fairness_gradient", "statistics_decay")

    @keyword_only_init
    def __init__(self, *, fairness_weight=0.0, huber_delta=0.01, learning_rate=2e-3, beta1=0.9,
                 beta2=0.999, epsilon=1e-7, fairness_gradient="huber", statistics_decay=1.0):
        self.fairness_weight = fairness_weight
        self.huber_delta = huber_delta
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.fairness_gradient = fairness_gradient
        self.statistics_decay = statistics_decay

    _parameter_constraints = dict(FAIRNESS_OPTIMIZER_CONSTRAINTS)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _check_n_classes(self, classes):
        if len(classes) != 2:
            raise ValueError(f"Only binary classification is supported by "
                             f"OnlineFairLogisticClassifier; got {len(classes)} classes "
                             f"{classes.tolist()}.")

    def _on_reset(self, n_features, classes):
        self.coef_ = np.zeros(n_features + 1)
        self.adam_moments_ = {"m": np.zeros(n_features + 1), "v": np.zeros(n_features + 1)}
        self.adam_step_ = np.zeros(1, dtype=np.int64)
        self.group_counts_ = np.zeros(0)
        self.output_sums_ = np.zeros(0)
        self.gradient_means_ = np.zeros((0, n_features + 1))

    def _grow_groups(self, n_groups):
        self.group_counts_ = grow_rows(self.group_counts_, n_groups)
        self.output_sums_ = grow_rows(self.output_sums_, n_groups)
        self.gradient_means_ = grow_rows(self.gradient_means_, n_groups)

    #: the kernel updates every array and the step counter of an event in one call
    _event_learn_atomic = True

    def _kernel_state(self):
        """The arrays ``logistic_learn_chunk`` updates, in its argument order."""
        moments = self.adam_moments_
        return (self.coef_, moments["m"], moments["v"], self.adam_step_, self.group_counts_,
                self.output_sums_, self.gradient_means_)

    def _kernel_hyper(self):
        """``logistic_learn_chunk``'s arguments from the parameters, in its order."""
        return (float(self.fairness_weight), float(self.huber_delta),
                FAIRNESS_GRADIENTS[self.fairness_gradient], float(self.statistics_decay),
                float(self.learning_rate), float(self.beta1), float(self.beta2),
                float(self.epsilon))

    def _partial_fit(self, X, y, groups, return_predictions):
        pred = K.logistic_learn_chunk(X, y.astype(np.float64), groups, *self._kernel_state(),
                                      *self._kernel_hyper(), bool(return_predictions))
        return self.classes_[pred] if return_predictions else None

    def _event_learn(self, row, target, groups, return_predictions=False):
        """One validated event: the chunk kernel called directly on the one-row buffers, with
        the arguments of the last validated parameters (the state and ``adam_step_`` in one
        call)."""
        cache = self.__dict__["_event_cache_"]
        if cache.get("logistic_for") is not cache["params"]:
            cache["logistic"] = (self._kernel_hyper(), np.empty(1))
            cache["logistic_for"] = cache["params"]
        hyper, y = cache["logistic"]
        arrays = self._kernel_state()
        if not all(a.flags.writeable for a in arrays):
            return False  # the chunk route copies a read-only (memory-mapped) state first
        y[0] = target[0]
        pred = K.logistic_learn_chunk(row, y, groups, *arrays, *hyper, bool(return_predictions))
        return self.classes_[pred] if return_predictions else None

    def _event_predict_value(self, row, groups):
        best = K.logistic_predict(row, self.coef_, np.empty(1), np.empty((1, 2)))
        return self.__dict__["_event_cache_"]["class_list"][best]

    def _event_fast_kernels(self):
        """The prebuilt route's callables (``_core/events.py``): the kernel's compiled entry
        bound to the state's arrays and to the kernel arguments of the last validated
        parameters. They hold the arrays, so any assignment drops the route (empty ``keeps``)."""
        arrays = self._kernel_state()
        if not all(a.flags.writeable for a in arrays):
            return None  # the chunk route copies a read-only (memory-mapped) state first
        cache = self._event_cache()
        row, groups, class_list = cache["row"], cache["groups"], cache["class_list"]
        hyper = self._kernel_hyper()
        y = np.empty(1)
        kernel = compiled_entry(K.logistic_learn_chunk, (row, y, groups, *arrays, *hyper, False))
        coef, z, proba = self.coef_, np.empty(1), np.empty((1, 2))
        predict_kernel = compiled_entry(K.logistic_predict, (row, coef, z, proba))

        def learn(row, target, groups):  # the state and adam_step_ in one call
            y[0] = target[0]
            kernel(row, y, groups, *arrays, *hyper, False)

        def predict(row, groups):  # predict_proba's kernel and argmax
            return class_list[predict_kernel(row, coef, z, proba)]

        return learn, predict, frozenset()

    def decision_function(self, X):
        """``w . x + b`` for every row."""
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        return self._decision(X_arr)

    def _decision_and_proba(self, X_arr):
        # the kernel sums every row in one fixed order (BLAS's depends on the number of rows),
        # so predict_one and predict agree bit for bit
        n = X_arr.shape[0]
        z, proba = np.empty(n), np.empty((n, 2))
        K.logistic_predict(X_arr, self.coef_, z, proba)
        return z, proba

    def _decision(self, X_arr):
        return self._decision_and_proba(X_arr)[0]

    def predict_proba(self, X):
        """``[1 - s(x), s(x)]`` for every row."""
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        return self._event_predict_proba(X_arr)

    def _event_predict_proba(self, X_arr):
        return self._decision_and_proba(X_arr)[1]

