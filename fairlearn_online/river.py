"""river interoperability, both ways (river is an optional extra: ``pip install
'fairlearn_online[baselines]'``, imported only when an adapter is made).

* :func:`to_river` wraps an estimator of this library as a ``river.base.Classifier`` /
  ``river.base.Regressor``: river's ``learn_one(x, y)`` / ``predict_one(x)`` /
  ``predict_proba_one(x)`` on dicts, with the protected attribute read from ``x`` under
  ``sensitive_key``. It works in ``river.compose.Pipeline`` behind ``river.preprocessing``
  transformers and in ``river.evaluate.progressive_val_score``.
* :func:`from_river` wraps a river classifier as an estimator of this library (``partial_fit``,
  ``partial_fit_predict``, ``predict_proba``), so river models run in
  :func:`~fairlearn_online.evaluate.prequential` and the
  experiments.
"""

from __future__ import annotations

import importlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .base import StreamingClassifierMixin, check_chunk_X, check_fitted
from .baselines._logistic import _ChunkValidation
from ._core.deprecation import keyword_only_init
from ._core.docstrings import fill_doc
from ._core.groups import GROUPS_ATTRIBUTE_DOC
from ._core.validation import HasMethods, InvalidParameterError, StrOptions

__all__ = ["to_river", "from_river", "RiverClassifier"]


def _river_adapters():
    try:
        return importlib.import_module("fairlearn_online._river_adapters")
    except ImportError as exc:
        if "river" not in str(exc):
            raise
        raise ImportError(
            "fairlearn_online.river needs river: pip install 'fairlearn_online[baselines]'"
        ) from exc


def to_river(estimator, sensitive_key=None, *, use_as_feature=False, classes=None):
    """Wrap an estimator of this library as a river model.

    Parameters
    ----------
    estimator : streaming estimator of this library
        Learns in place (``sklearn.base.clone`` it first for a fresh model). Its ``learn_one``
        gives exactly the model ``partial_fit`` gives on the same rows.
    sensitive_key : str, tuple of str or None, default=None
        Key of ``x`` holding the protected attribute, or a tuple of keys (intersectional groups,
        passed as ``{key: value}``). ``None``: no groups.
    use_as_feature : bool, default=False
        Whether the protected attribute is also a model input. ``False`` removes the key(s)
        from the features the estimator sees; ``True`` keeps them (their values must then be
        numbers).
    classes : array-like or None, default=None
        Every label of a classifier. ``None``: the classes are fixed once two distinct labels
        have arrived; the events before that wait and are then learned in order (exactly as
        ``partial_fit`` with ``classes`` set to the labels seen). Pass ``classes`` for more than
        two labels.

    Returns
    -------
    model : river.base.Classifier or river.base.Regressor
        Until the estimator has learned its first event, ``predict_proba_one`` returns ``{}``
        and ``predict_one`` ``None`` (river's convention; ``progressive_val_score`` then skips
        the prediction).

    Notes
    -----
    The features reaching the estimator must be the same keys at every event (river's
    one-hot encoders that add a key per new category do not fit; encode upstream or use a
    fixed vocabulary). ``StandardScaler`` and other numeric transformers must not rescale a
    protected attribute you want as a label: apply them to the other keys, e.g.
    ``(compose.Discard("sex") | preprocessing.StandardScaler()) + compose.Select("sex")``.
    """
    from sklearn.base import is_classifier

    adapters = _river_adapters()
    cls = adapters.RiverClassifierAdapter if is_classifier(estimator) else \
        adapters.RiverRegressorAdapter
    return cls(estimator, sensitive_key=sensitive_key, use_as_feature=use_as_feature,
               classes=classes)


def from_river(model="hoeffding_tree", model_params=None):
    """A river classifier as an estimator of this library.

    Parameters
    ----------
    model : {"hoeffding_tree", "hoeffding_adaptive_tree"} or river classifier
        A name, or a river classifier instance (cloned with river's ``clone`` at the first
        ``partial_fit`` / ``fit``).
    model_params : dict or None, default=None
        Keyword arguments of the river class when ``model`` is a name.

    Returns
    -------
    estimator : RiverClassifier
        ``partial_fit_predict`` calls river's ``predict_one`` then ``learn_one`` per row.
    """
    return RiverClassifier(model=model, model_params=model_params)


# ------------------------------------------------------------------------------------------
# river models inside this library (river imported when the first model is made)
# ------------------------------------------------------------------------------------------
_RIVER_MODELS = {
    "hoeffding_tree": ("tree", "HoeffdingTreeClassifier"),
    "hoeffding_adaptive_tree": ("tree", "HoeffdingAdaptiveTreeClassifier"),
}


def _import_river(module):
    import importlib

    try:
        return importlib.import_module(f"river.{module}")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "from_river / RiverClassifier need river: pip install 'fairlearn_online[baselines]'"
        ) from exc


@fill_doc(groups_attribute=GROUPS_ATTRIBUTE_DOC)
class RiverClassifier(_ChunkValidation, StreamingClassifierMixin, ClassifierMixin,
                      BaseEstimator):
    """Run a river classifier in this library's protocol (made by :func:`from_river`).

    Each row becomes a dict ``{feature name: value}``; ``partial_fit_predict`` calls
    ``predict_one`` then ``learn_one`` per row (river's own test-then-train). The protected
    attribute is not used, as in the paper's tree baselines (Adult keeps ``sex`` among the
    features).

    Parameters
    ----------
    model : str or river classifier, default="hoeffding_tree"
        A name (``"hoeffding_tree"`` or ``"hoeffding_adaptive_tree"``), or a river classifier
        instance: each ``fit`` / first ``partial_fit`` starts from a fresh ``model.clone()``.
    model_params : dict or None, default=None
        Keyword arguments of the river class named by ``model`` (river's defaults otherwise).

    Attributes
    ----------
    model_ : river classifier
    %(groups_attribute)s
    """

    @keyword_only_init
    def __init__(self, model="hoeffding_tree", *, model_params=None):
        self.model = model
        self.model_params = model_params

    _parameter_constraints = {
        "model": [StrOptions(set(_RIVER_MODELS)), HasMethods(["learn_one", "predict_proba_one"])],
        "model_params": [None, dict],
    }

    def _check_param_rules(self):
        if not isinstance(self.model, str) and self.model_params:
            raise InvalidParameterError(
                "model_params applies to a model name, not to a river instance.")

    def _on_reset(self, n_features, classes):
        if not isinstance(self.model, str):
            self.model_ = self.model.clone()
            return
        module, name = _RIVER_MODELS[self.model]
        cls = getattr(_import_river(module), name)
        params = dict(self.model_params or {})
        if self.model == "hoeffding_adaptive_tree" and "seed" not in params:
            params["seed"] = 0
        self.model_ = cls(**params)

    def _names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{j}" for j in range(self.n_features_in_)]
        return [str(n) for n in names]

    def _partial_fit(self, X, y, groups, return_predictions):
        names = self._names()
        pred = np.empty(len(y), dtype=np.int64)
        model = self.model_
        for i, row in enumerate(X.tolist()):
            x = dict(zip(names, row))
            if return_predictions:
                p = model.predict_one(x)
                pred[i] = 0 if p is None else p
            model.learn_one(x, int(y[i]))
        return self.classes_[pred] if return_predictions else None

    def predict_proba(self, X):
        """river's ``predict_proba_one`` for each row (missing classes get 0)."""
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        names = self._names()
        out = np.zeros((X_arr.shape[0], len(self.classes_)))
        for i, row in enumerate(X_arr.tolist()):
            proba = self.model_.predict_proba_one(dict(zip(names, row)))
            for c, p in proba.items():
                out[i, c] = p
            total = out[i].sum()
            out[i] = out[i] / total if total > 0 else 1.0 / len(self.classes_)
        return out
