"""The chunk protocol, written once: ``fit`` / ``partial_fit`` / ``partial_fit_predict``.

* :class:`Chunk`: what ``_validate_partial_fit(X, y, sensitive_features, **kwargs)`` hands to
  learning, validated and without side effects: the arrays, the group codes (or the method's own
  group structure), the per-row extras and ``commit()``, which applies the bookkeeping (feature
  count, new classes or groups) inside the chunk's transaction (``_core/state.py``).
* :class:`ChunkMethodsMixin`: the three public methods, each a call of the estimator's
  ``_learn_chunk`` (``fairlearn_online.base.StreamingEstimatorMixin``). An estimator whose
  methods take a keyword besides ``sensitive_features`` (``classes``, regret's ``groups``, the
  Poisson regressor's ``exposure``) declares it in ``_chunk_docs`` (:class:`ChunkDocs`) and gets
  the three methods with that keyword in their signatures (scikit-learn's metadata routing reads
  them) and their numpydoc docstrings, instead of writing them again.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from .docstrings import fill_doc
from .state import atomic
from .validation import check_method_kwargs

__all__ = ["Chunk", "ChunkDocs", "ChunkMethodsMixin"]

_SENSITIVE_TYPE = ("array-like of shape (n_samples,) or (n_samples, n_attributes), "
                   "default=None")
#: X, y and sensitive_features in the Parameters of the three methods
_CHUNK_PARAMETERS = ("Parameters\n----------\nX : array-like of shape (n_samples, n_features)\n"
                     "y : array-like of shape (n_samples,)\nsensitive_features : "
                     + _SENSITIVE_TYPE)
_RETURNS = {
    "fit": "self : object",
    "partial_fit": "self : object",
    "partial_fit_predict": (
        "y_pred : ndarray of shape (n_samples,)\n"
        "    The prediction for each sample made by the model as it was just before that "
        "sample\n    was learned (the prequential protocol)."),
}


@dataclass(frozen=True)
class Chunk:
    """A validated chunk of the stream, ready to be learned.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The features, validated (float64 unless the estimator keeps another type).
    y : ndarray of shape (n_samples,)
        The targets, as the estimator learns them (class codes for a classifier).
    groups : object
        The rows' groups in the estimator's form: integer codes, a membership matrix (regret)
        or the sensitive features' validated frame (dcov); ``None`` when it keeps none.
    commit : callable
        ``commit()`` applies the chunk's bookkeeping; called once, inside the transaction.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Per-row weights, for an estimator that takes them (none does yet).
    extra : object, default=None
        Other per-row data of the method (the Poisson regressor's ``exposure``).

    Notes
    -----
    Iterating a chunk gives ``(X, y, groups, commit)``, the tuple ``_validate_partial_fit``
    returned before the chunk had a type.
    """

    X: Any
    y: Any
    groups: Any
    commit: Callable[[], None]
    sample_weight: Any = None
    extra: Any = None

    def __iter__(self):
        return iter((self.X, self.y, self.groups, self.commit))

    def __getitem__(self, index):
        return tuple(self)[index]


@dataclass(frozen=True)
class ChunkDocs:
    """Docstrings and extra keywords of an estimator's ``fit`` / ``partial_fit`` /
    ``partial_fit_predict`` (see :class:`ChunkMethodsMixin`).

    Parameters
    ----------
    fit, partial_fit, partial_fit_predict : str
        The summary (first paragraphs) of each method's docstring.
    sensitive_features : str, default=""
        What the estimator does with ``sensitive_features`` (its entry's description).
    keywords : dict, default={}
        ``{name: (type, description)}`` of the keyword-only arguments after
        ``sensitive_features``, each with default ``None``, in signature order.
    """

    fit: str
    partial_fit: str
    partial_fit_predict: str
    sensitive_features: str = ""
    keywords: dict = field(default_factory=dict)

    def docstring(self, method):
        """The numpydoc docstring of ``method``.

        Parameters
        ----------
        method : {"fit", "partial_fit", "partial_fit_predict"}

        Returns
        -------
        str
        """
        entries = [("X", "array-like of shape (n_samples, n_features)", ""),
                   ("y", "array-like of shape (n_samples,)", ""),
                   ("sensitive_features", _SENSITIVE_TYPE, self.sensitive_features)]
        entries += [(name, kind, text) for name, (kind, text) in self.keywords.items()]
        lines = [inspect.cleandoc(getattr(self, method)), "", "Parameters", "----------"]
        for name, kind, text in entries:
            lines.append(f"{name} : {kind}")
            lines += ["    " + line if line else "" for line in
                      inspect.cleandoc(text).split("\n")] if text else []
        lines += ["", "Returns", "-------", _RETURNS[method]]
        return "\n".join(lines)

    def signature(self):
        """``(self, X, y, *, sensitive_features=None, <keywords>=None)``.

        Returns
        -------
        inspect.Signature
        """
        P = inspect.Parameter
        params = [P("self", P.POSITIONAL_OR_KEYWORD), P("X", P.POSITIONAL_OR_KEYWORD),
                  P("y", P.POSITIONAL_OR_KEYWORD)]
        params += [P(name, P.KEYWORD_ONLY, default=None)
                   for name in ("sensitive_features", *self.keywords)]
        return inspect.Signature(params)


class ChunkMethodsMixin:
    """``fit`` / ``partial_fit`` / ``partial_fit_predict``, each one call of ``_learn_chunk``.

    The estimator implements ``_learn_chunk(X, y, sensitive_features, *, return_predictions,
    **kwargs)`` (``fairlearn_online.base.StreamingEstimatorMixin`` does) and may override
    ``_fit(X, y, sensitive_features, **kwargs)``, what ``fit`` does after checking the keywords
    (by default: forget the learned state, then ``partial_fit`` on all rows). A subclass that
    sets ``_chunk_docs`` to a :class:`ChunkDocs` gets the three methods with its keywords in
    their signatures and its docstrings.
    """

    #: :class:`ChunkDocs` of a subclass whose methods take keywords besides sensitive_features
    _chunk_docs = None

    def __init_subclass__(cls, **kwargs):
        docs = cls.__dict__.get("_chunk_docs")
        if docs is not None:  # before scikit-learn's hook reads the methods' signatures
            for name in ("fit", "partial_fit", "partial_fit_predict"):
                setattr(cls, name, _documented_method(cls, name, docs))
        super().__init_subclass__(**kwargs)

    @fill_doc(chunk_parameters=_CHUNK_PARAMETERS)
    def fit(self, X, y, *, sensitive_features=None, **fit_params):
        """Forget the learned state and learn from all rows of ``X`` in order.

        %(chunk_parameters)s
            Group labels; ``None`` puts every sample in one group (no fairness signal).
        **fit_params : dict
            Forwarded to ``partial_fit`` (e.g. ``classes``).

        Returns
        -------
        self : object
        """
        check_method_kwargs(self, "fit", fit_params, self._validate_partial_fit)
        # one transaction above the chunks, epochs and committed slices of ``_fit``: a failure
        # or interrupt leaves the state of before the call (``_core/state.py``)
        with atomic(self):
            return self._fit(X, y, sensitive_features, **fit_params)

    def _fit(self, X, y, sensitive_features, **fit_params):
        self._reset()
        return self.partial_fit(X, y, sensitive_features=sensitive_features, **fit_params)

    @fill_doc(chunk_parameters=_CHUNK_PARAMETERS)
    def partial_fit(self, X, y, *, sensitive_features=None, **kwargs):
        """Learn from one chunk of the stream, one sample at a time in row order.

        A chunk that fails validation raises before any state changes. An empty chunk is a
        no-op once the estimator has been fitted; it is an error on the first call.

        %(chunk_parameters)s

        Returns
        -------
        self : object
        """
        check_method_kwargs(self, "partial_fit", kwargs, self._validate_partial_fit)
        self._learn_chunk(X, y, sensitive_features, return_predictions=False, **kwargs)
        return self

    @fill_doc(chunk_parameters=_CHUNK_PARAMETERS)
    def partial_fit_predict(self, X, y, *, sensitive_features=None, **kwargs):
        """Test-then-train on a chunk: predict each sample, then learn from it.

        %(chunk_parameters)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The prediction for each sample made by the model as it was just before that sample
            was learned (the prequential protocol).
        """
        check_method_kwargs(self, "partial_fit_predict", kwargs, self._validate_partial_fit)
        return self._learn_chunk(X, y, sensitive_features, return_predictions=True, **kwargs)


def _documented_method(cls, name, docs):
    """``ChunkMethodsMixin.<name>`` with ``docs``' signature and docstring, for ``cls``."""
    generic = getattr(ChunkMethodsMixin, name)

    def method(self, X, y, *, sensitive_features=None, **kwargs):
        return generic(self, X, y, sensitive_features=sensitive_features, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    method.__module__ = cls.__module__
    method.__signature__ = docs.signature()
    method.__doc__ = docs.docstring(name)
    return method
