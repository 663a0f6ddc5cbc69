"""Shared streaming-estimator protocol (``docs/user_guide/protocol.md``).

Every estimator of the library follows one contract:

* hyper-parameters only in ``__init__``; learned state in attributes ending in ``_``;
* ``partial_fit(X, y, *, sensitive_features=None, ...)`` consumes a chunk of the stream in order,
  one sample at a time, and ``fit`` is a reset followed by ``partial_fit`` over all rows;
* ``partial_fit_predict`` returns, for every sample of a chunk, the prediction made *before*
  learning from that sample (test-then-train), which the prequential evaluator uses;
* a chunk is fully validated before any state changes, so a rejected chunk never corrupts a
  half-trained estimator;
* ``sensitive_features`` follows fairlearn: a 1-D array/Series of group labels, or a 2-D
  array/DataFrame with one column per protected attribute, whose rows' tuples are the
  intersectional groups. Labels may be strings; groups never seen before may appear mid-stream.

Metadata routing comes from scikit-learn's ``BaseEstimator``: because ``fit`` and ``partial_fit``
take ``sensitive_features``, ``est.set_fit_request(sensitive_features=True)`` works inside a
``Pipeline`` when ``sklearn.set_config(enable_metadata_routing=True)``.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import _get_feature_names, check_array, check_is_fitted, validate_data
from sklearn.utils.multiclass import check_classification_targets

from ._core.estimator import Chunk, ChunkMethodsMixin
from ._core.events import EventClassifierMixin, EventMixin
from ._core.state import atomic, forget, make_writeable, portable_getstate, portable_setstate

# sensitive features and parameter rules live in the shared core; re-exported here
from ._core.groups import (GroupEncoder, _as_python_scalar, align_columns,  # noqa: F401
                           check_sensitive_features, check_stream_columns,
                           group_names, group_source, not_mid_stream, sort_groups)
from ._core.validation import (check_frozen_params, check_method_kwargs,  # noqa: F401
                               record_frozen_params)

__all__ = [
    "GroupEncoder",
    "StreamingEstimatorMixin",
    "StreamingClassifierMixin",
    "check_sensitive_features",
    "check_chunk_X",
    "check_target",
]


# --------------------------------------------------------------------------------------------
# X and y
# --------------------------------------------------------------------------------------------
def check_chunk_X(estimator, X, *, reset: bool, ensure_min_samples: int = 1):
    """Validate a chunk's ``X`` without changing ``estimator``.

    Returns the float64 C-contiguous array and a ``commit`` callable that records
    ``n_features_in_`` / ``feature_names_in_`` when ``reset`` is true (call it only once the
    whole chunk is accepted). When ``reset`` is false the feature count and names must match
    those seen at the first call.

    Parameters
    ----------
    estimator : estimator
        The estimator the chunk is for (its ``n_features_in_`` / ``feature_names_in_``).
    X : array-like of shape (n_samples, n_features)
        The chunk's features: numeric, finite, 2-D.
    reset : bool
        Whether this is the first chunk (the feature count and names are then recorded).
    ensure_min_samples : int, default=1
        Fewest rows accepted.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        float64, C-contiguous.
    commit : callable
        ``commit()`` records the features on ``estimator`` (a no-op unless ``reset``).
    """
    if not reset:
        fast = _fitted_float_rows(estimator, X, ensure_min_samples)
        if fast is not None:
            return fast, (lambda: None)
    kwargs = dict(dtype=np.float64, order="C", ensure_all_finite=True,
                  ensure_min_samples=ensure_min_samples, accept_sparse=("csr", "csc", "coo"))
    with _naming_non_numeric_X():
        if reset:
            names = _get_feature_names(X)
            X_arr = check_array(X, input_name="X", **kwargs)
        else:
            X_arr = validate_data(estimator, X, reset=False, **kwargs)
    if sp.issparse(X_arr):
        # the kernels are dense: a sparse chunk (OneHotEncoder's default output) is densified
        # chunk by chunk, so memory is that of one dense chunk
        X_arr = np.ascontiguousarray(X_arr.toarray(), dtype=np.float64)
    if reset:

        def commit():
            estimator.n_features_in_ = X_arr.shape[1]
            if names is not None:
                estimator.feature_names_in_ = names
            elif hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_

        return X_arr, commit
    return X_arr, (lambda: None)


def _fitted_float_rows(estimator, X, ensure_min_samples):
    """``X`` itself when it is already what ``check_chunk_X`` returns for a fitted estimator
    without feature names (a finite, C-contiguous float64 2-D array with ``n_features_in_``
    columns), else ``None``: skips scikit-learn's conversions for a single row or any chunk
    that needs none (the general check runs otherwise, and raises its errors)."""
    if (type(X) is not np.ndarray or X.dtype != np.float64 or X.ndim != 2
            or not X.flags.c_contiguous or X.shape[0] < ensure_min_samples
            or X.shape[1] != getattr(estimator, "n_features_in_", -1)
            or getattr(estimator, "feature_names_in_", None) is not None):
        return None
    total = float(X.sum())
    if total - total != 0.0:  # NaN or infinity (or a sum that overflows): the general check
        return None
    return X


@contextlib.contextmanager
def _naming_non_numeric_X():
    """numpy's "could not convert string to float" does not say which argument was wrong."""
    try:
        yield
    except ValueError as exc:
        if "could not convert" in str(exc):
            raise ValueError(f"X must be numeric: {exc}") from exc
        raise
    except OverflowError as exc:  # a Python int beyond float64 in an object column
        raise ValueError(f"X must be numeric values that fit in float64: {exc}") from exc


def check_target(y, n_samples, *, name="y", numeric=False):
    """1-D target of length ``n_samples`` with no missing or infinite values.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_samples : int
        The number of rows of the chunk's ``X``.
    name : str, default="y"
        The argument's name in the messages.
    numeric : bool, default=False
        Whether the values must be numbers (a regression target).

    Returns
    -------
    y : ndarray of shape (n_samples,)
    """
    if y is None:
        raise ValueError(f"This estimator requires {name} to be passed, but the target {name} "
                         "is None.")
    y_arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:  # a column vector: scikit-learn's convention
        warnings.warn(f"A column-vector {name} was passed when a 1d array was expected. Please "
                      "change the shape of y to (n_samples,), for example using ravel().",
                      DataConversionWarning, stacklevel=3)
        y_arr = y_arr.ravel()
    if y_arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {y_arr.shape}.")
    if y_arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {y_arr.shape[0]} entries but X has {n_samples} rows.")
    if numeric or y_arr.dtype.kind in "fc":
        try:
            y_num = y_arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from exc
        if not np.all(np.isfinite(y_num)):
            raise ValueError(f"{name} contains NaN or infinity.")
        if numeric:
            return y_num
    elif y_arr.dtype.kind == "O" and len(y_arr) and pd.isna(pd.Series(y_arr)).any():
        raise ValueError(f"{name} contains missing values.")
    return y_arr


# --------------------------------------------------------------------------------------------
# the estimator protocol
# --------------------------------------------------------------------------------------------
class StreamingEstimatorMixin(ChunkMethodsMixin, EventMixin):
    """``fit``/``partial_fit``/``partial_fit_predict`` contract shared by the library's estimators.

    It also gives every estimator river's per-event methods ``learn_one`` / ``predict_one``
    (and ``predict_proba_one`` for classifiers), see ``fairlearn_online/_core/events.py``.

    Subclasses implement:

    * ``_reset()``: forget all learned state (delete attributes ending in ``_``);
    * ``_partial_fit(X, y, groups, return_predictions)``: learn from a validated chunk, one sample
      at a time, and return the per-sample predictions made before each update when asked
      (or ``_partial_fit_chunk(chunk, return_predictions)``, to use the chunk's other fields);
    * ``_validate_partial_fit(X, y, sensitive_features, **kwargs)``: validate a chunk without
      side effects and return a ``fairlearn_online._core.estimator.Chunk`` whose
      ``commit()`` applies the bookkeeping (feature count, new classes or groups).

    ``fit`` / ``partial_fit`` / ``partial_fit_predict`` come from
    ``fairlearn_online._core.estimator.ChunkMethodsMixin``. The mixin guarantees that
    nothing is changed when validation fails, that a chunk is one transaction and that ``fit``
    is one transaction: a failed or interrupted ``fit`` leaves the estimator as it was before
    the call (``_core/state.py``).
    """

    def _is_fitted(self) -> bool:
        return hasattr(self, "n_features_in_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # check_chunk_X densifies sparse chunks
        return tags

    def _reset(self):
        forget(self)

    #: Parameters that may change between chunks (``set_params`` mid-stream); every other
    #: parameter is frozen by the first ``partial_fit`` (see ``_core/validation.py``).
    _mutable_params = ()

    def _learn_chunk(self, X, y, sensitive_features, *, return_predictions, **kwargs):
        fitted = self._is_fitted()
        if fitted:
            n_rows = _n_rows(X)
            if n_rows == 0:
                check_frozen_params(self)
                check_target(y, 0)
                self._check_empty_chunk(X, sensitive_features, kwargs)
                return np.empty(0) if return_predictions else None
            if n_rows == 1:  # one event: the per-event fast route when it applies
                out = self._learn_one_row_fast(X, y, sensitive_features, return_predictions,
                                               kwargs)
                if out is not NotImplemented:
                    return out
        chunk = self._validate_partial_fit(X, y, sensitive_features, **kwargs)
        if not isinstance(chunk, Chunk):  # an estimator of before the type: (X, y, groups, commit)
            chunk = Chunk(*chunk)
        if fitted:  # after validation: an invalid value gets its own error first
            check_frozen_params(self)
        # one transaction (``_core/state.py``): any exception from here on (KeyboardInterrupt,
        # MemoryError, a diverging step) restores the state and counters of before the chunk
        with atomic(self):
            make_writeable(self)  # copy on write: a read-only (memory-mapped) state
            chunk.commit()
            if not fitted:
                record_frozen_params(self)
            out = self._partial_fit_chunk(chunk, return_predictions)
            self._check_learned_state(chunk.X)
        self._event_remember_params()
        return out

    def _partial_fit_chunk(self, chunk, return_predictions):
        """Learn a validated ``fairlearn_online._core.estimator.Chunk`` (committed)."""
        return self._partial_fit(chunk.X, chunk.y, chunk.groups, return_predictions)

    def _check_empty_chunk(self, X, sensitive_features, kwargs):
        """An empty chunk changes nothing, but its shape must still be that of the stream: the
        number (and names) of features and of sensitive columns fixed by the first chunk."""
        if np.ndim(X) == 2 or isinstance(X, pd.DataFrame) or sp.issparse(X):
            check_chunk_X(self, X, reset=False, ensure_min_samples=0)
        membership = self.__dict__.get("membership_")
        if membership is not None:  # the regret learners' groups (sensitive columns, groups=)
            membership.transform(0, sensitive_features=sensitive_features,
                                 groups=kwargs.get("groups"))
            return
        if "group_encoder_" not in self.__dict__ and "sensitive_columns_" not in self.__dict__:
            if sensitive_features is not None:  # an estimator that ignores them: checked only
                check_sensitive_features(sensitive_features, 0)
            return
        check_stream_columns(sensitive_features, 0, _fitted_sensitive_columns(self), reset=False)

    #: Learned arrays that must stay finite: checked before a chunk (or a slice of one) commits
    _finite_attributes = ()

    def _check_learned_state(self, X=None):
        """Raise a ``ValueError`` (the chunk is then rolled back) when an attribute of
        ``_finite_attributes`` holds NaN or infinity after learning."""
        bad = [name for name in self._finite_attributes
               if not _all_finite(self.__dict__.get(name))]
        if not bad:
            return
        scale = ""
        if X is not None and X.size:
            scale = f" (|X| reaches {float(np.max(np.abs(X))):.3g})"
        raise ValueError(
            f"{type(self).__name__} produced non-finite {', '.join(bad)} from this chunk"
            f"{scale}: the features are too large for its updates; rescale X (e.g. "
            "sklearn.preprocessing.StandardScaler) or lower learning_rate. The estimator is "
            "left as it was before the chunk.")

    def __getstate__(self):
        # numpy Generators as plain seed state (a numpy 2 pickle loads under numpy 1.26)
        return portable_getstate(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(portable_setstate(state))

    def _check_groups(self, sensitive_features, n_samples, *, reset):
        """Group codes of a chunk and the encoder to commit, without changing ``self``.

        ``sensitive_features=None`` puts every sample in one group (labelled ``None``); this is
        allowed only while the estimator has never been given sensitive features.
        Returns ``(codes, encoder)``; assign ``self.group_encoder_ = encoder`` in ``commit``.
        """
        encoder = GroupEncoder() if reset else self.group_encoder_.copy()
        fitted = encoder.columns_
        fitted_source = (None if fitted is None
                         else "none" if fitted == ["<none>"] else "sensitive_features")
        if group_source(sensitive_features, fitted_source=fitted_source,
                        fitted_columns=fitted) == "none":
            values = np.full((n_samples, 1), None, dtype=object)
            return encoder.encode(values, ["<none>"], update=True), encoder
        values, columns = check_sensitive_features(sensitive_features, n_samples)
        return encoder.encode(values, columns, update=True), encoder


class StreamingClassifierMixin(EventClassifierMixin, StreamingEstimatorMixin):
    """Adds label handling to :class:`StreamingEstimatorMixin`.

    The set of classes is fixed by the first call: the ``classes`` argument, or the labels of the
    first chunk (``fit`` sees all labels). A later label outside ``classes_`` is a ``ValueError``.
    """

    def _check_classes(self, y, classes, *, reset):
        """Validate labels; return integer codes and the classes to commit."""
        if reset:
            if classes is not None:
                classes_ = np.unique(check_target(classes, len(np.asarray(classes)),
                                                  name="classes"))
            else:
                check_classification_targets(y)  # "Unknown label type: continuous" etc.
                classes_ = np.unique(y)
            if len(classes_) < 2:
                raise ValueError(
                    f"y has only one class ({classes_.tolist()}); a classifier needs at least two. "
                    "Pass every label through `classes=` on the first partial_fit call."
                )
        else:
            classes_ = self.classes_
            if classes is not None and not np.array_equal(np.unique(classes), classes_):
                raise ValueError(
                    f"classes={list(np.unique(classes))} differs from classes_={list(classes_)} "
                    "fixed on the first call."
                )
        codes = np.searchsorted(classes_, y)
        codes = np.clip(codes, 0, len(classes_) - 1)
        unseen = classes_[codes] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains labels {np.unique(y[unseen]).tolist()} not among classes_ "
                f"{classes_.tolist()}; pass every label through `classes=` on the first call."
            )
        return codes.astype(np.int64), classes_

    def predict(self, X, *, sensitive_features=None):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sensitive_features : ignored unless the model uses groups at prediction time

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        row = (None if self._event_predict_uses_groups
               else self._one_row_fast(X))  # one row: the per-event route (no re-checks)
        if row is not None:
            out = self._event_predict(row, None)
            if out is not None:
                return out
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _fitted_sensitive_columns(est):
    """The sensitive columns fixed by the first chunk, or ``None`` if it had none."""
    encoder = getattr(est, "group_encoder_", None)
    columns = getattr(encoder, "columns_", None) if encoder is not None else None
    if columns is None:
        columns = getattr(est, "sensitive_columns_", None)
    return None if columns is None or list(columns) == ["<none>"] else list(columns)


def _all_finite(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return all(_all_finite(v) for v in value)
    arr = np.asarray(value)
    return arr.dtype.kind not in "fc" or bool(np.isfinite(arr).all())


def _n_rows(X) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return -1


def check_fitted(estimator):
    """Raise sklearn's ``NotFittedError`` unless ``estimator`` has learned from data, and a
    ``ValueError`` when a parameter that shapes its state changed since the first chunk."""
    check_is_fitted(estimator, "n_features_in_")
    check_frozen_params(estimator)
