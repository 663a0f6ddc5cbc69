"""MajorityClassClassifier: the most frequent label seen so far."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._core.estimator import Chunk
from .._core.events import event_group_key
from ..base import (StreamingClassifierMixin, check_chunk_X, check_fitted,
                   check_sensitive_features, check_target)

__all__ = ["MajorityClassClassifier"]


class MajorityClassClassifier(StreamingClassifierMixin, ClassifierMixin, BaseEstimator):
    """Predicts the most frequent label seen so far (ties: the smallest label).

    The streaming version of scikit-learn's ``DummyClassifier(strategy="most_frequent")``; its
    ``partial_fit_predict`` predicts each sample with the counts of the samples before it.
    ``sensitive_features`` are accepted and ignored.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Number of samples of each class seen so far.
    n_features_in_ : int

    Examples
    --------
    >>> from fairlearn_online.baselines import MajorityClassClassifier
    >>> clf = MajorityClassClassifier()
    >>> clf.partial_fit_predict([[0], [0], [0], [0]], [1, 0, 0, 1], classes=[0, 1])
    array([0, 1, 0, 0])
    """

    _parameter_constraints = {}  # no parameter

    def _validate_partial_fit(self, X, y, sensitive_features, classes=None):
        reset = not self._is_fitted()
        X_arr, commit_X = check_chunk_X(self, X, reset=reset)
        y_arr = check_target(y, X_arr.shape[0])
        codes, classes_ = self._check_classes(y_arr, classes, reset=reset)
        if sensitive_features is not None:  # validated for a uniform contract, then ignored
            check_sensitive_features(sensitive_features, X_arr.shape[0])

        def commit():
            commit_X()
            if reset:
                self.classes_ = classes_
                self.class_count_ = np.zeros(len(classes_), dtype=np.int64)

        return Chunk(X_arr, codes, None, commit)

    #: one assignment (``class_count_``) commits an event
    _event_learn_atomic = True

    def _partial_fit(self, X, y, groups, return_predictions):
        onehot = np.zeros((len(y), len(self.classes_)), dtype=np.int64)
        onehot[np.arange(len(y)), y] = 1
        before = self.class_count_ + np.cumsum(onehot, axis=0) - onehot
        self.class_count_ = self.class_count_ + onehot.sum(axis=0)
        if return_predictions:
            return self.classes_[np.argmax(before, axis=1)]
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # it ignores X by design
        return tags

    def predict_proba(self, X):
        """Class frequencies seen so far, the same for every row."""
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        return self._event_predict_proba(X_arr)

    def _event_predict_proba(self, X_arr):
        total = self.class_count_.sum()
        n_classes = len(self.classes_)
        freq = self.class_count_ / total if total else np.full(n_classes, 1 / n_classes)
        return np.tile(freq, (X_arr.shape[0], 1))

    def _event_learn(self, row, target, groups, return_predictions=False):
        """One validated event: the counts with its class added, committed by one
        assignment (``_partial_fit`` on one row, without its one-hot arrays)."""
        counts = self.class_count_
        pred = self.classes_[[int(np.argmax(counts))]] if return_predictions else None
        new = counts.copy()
        new[target[0]] += 1
        self.class_count_ = new
        return pred

    def _event_predict_value(self, row, groups):
        """``predict``'s class: the argmax of the frequencies (kept until the counts change)."""
        cache = self.__dict__["_event_cache_"]
        counts = self.class_count_
        if cache.get("majority_for") is not counts:
            values = counts.tolist()
            total = sum(values)
            if not total:
                best = 0  # the uniform frequencies
            elif total < 2 ** 53:  # ints exact as floats: numpy's quotients, its first argmax
                freq = [v / total for v in values]
                best = freq.index(max(freq))
            else:
                best = int(np.argmax(counts / total))
            cache["majority"] = best
            cache["majority_for"] = counts
        return cache["class_list"][cache["majority"]]

    def _event_fast_kernels(self):
        """The prebuilt route's callables: they read ``class_count_`` at each call, so its
        assignment keeps the route."""
        learn, predict, _ = super()._event_fast_kernels()
        return (lambda row, target, groups: self._event_learn(row, target, groups),
                predict, frozenset({"class_count_"}))

    def _event_groups(self, sensitive_features, *, learning):
        """Groups are validated and ignored: any ordinary label (or none) takes the fast route."""
        if sensitive_features is not None and type(sensitive_features) not in (str, int):
            values = (list(sensitive_features.values()) if isinstance(sensitive_features, dict)
                      else sensitive_features if isinstance(sensitive_features, (tuple, list))
                      else [sensitive_features])
            if not values or event_group_key(values, list(range(len(values)))) is None:
                return None
        return self._event_cache()["groups"]
