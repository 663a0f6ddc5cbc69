"""river models around this library's estimators (made by :func:`fairlearn_online.river.to_river`).

This module imports river at import time; :mod:`fairlearn_online.river` imports it only when
an adapter is made, so river stays an optional extra.
"""

from __future__ import annotations

from river import base

__all__ = ["RiverClassifierAdapter", "RiverRegressorAdapter"]


class _Adapter:
    """Splits river's ``x`` into the estimator's features and its protected attribute."""

    def __init__(self, estimator, sensitive_key=None, use_as_feature=False, classes=None):
        self.estimator = estimator
        self.sensitive_key = sensitive_key
        self.use_as_feature = use_as_feature
        self.classes = classes
        self._waiting = []  # a classifier's events before two labels are known

    def _split(self, x):
        key = self.sensitive_key
        if key is None:
            return x, None
        keys = key if isinstance(key, tuple) else (key,)
        missing = [k for k in keys if k not in x]
        if missing:
            raise ValueError(f"x has no key {missing[0]!r} (the sensitive_key); its keys are "
                             f"{list(x)}.")
        sf = {k: x[k] for k in keys} if isinstance(key, tuple) else x[key]
        features = x if self.use_as_feature else {k: v for k, v in x.items() if k not in keys}
        return features, sf

    def _fitted(self):
        return hasattr(self.estimator, "n_features_in_")

    def predict_one(self, x, **kwargs):
        if not self._fitted():
            return None
        features, sf = self._split(x)
        return self.estimator.predict_one(features, sensitive_features=sf)


class RiverClassifierAdapter(_Adapter, base.Classifier):
    """A classifier of this library as a ``river.base.Classifier`` (see ``to_river``)."""

    @property
    def _multiclass(self):
        return True

    def learn_one(self, x, y, **kwargs):
        features, sf = self._split(x)
        est = self.estimator
        if self._fitted():
            est.learn_one(features, y, sensitive_features=sf)
            return
        if self.classes is not None:
            est.learn_one(features, y, sensitive_features=sf, classes=self.classes)
            return
        self._waiting.append((features, y, sf))
        labels = {label for _, label, _ in self._waiting}
        if len(labels) < 2:
            return
        waiting, self._waiting = self._waiting, []
        classes = sorted(labels)
        try:
            est.learn_one(*waiting[0][:2], sensitive_features=waiting[0][2], classes=classes)
        except BaseException:
            self._waiting = waiting[:-1]
            raise
        for f, label, s in waiting[1:]:
            est.learn_one(f, label, sensitive_features=s)

    def predict_proba_one(self, x, **kwargs):
        if not self._fitted():
            return {}
        return self.estimator.predict_proba_one(self._split(x)[0])


class RiverRegressorAdapter(_Adapter, base.Regressor):
    """A regressor of this library as a ``river.base.Regressor`` (see ``to_river``)."""

    def learn_one(self, x, y, **kwargs):
        features, sf = self._split(x)
        self.estimator.learn_one(features, y, sensitive_features=sf)
