"""Shared streaming-estimator protocol (DESIGN.md section 0).

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
import numbers
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import _get_feature_names, check_array, check_is_fitted, validate_data
from sklearn.utils.multiclass import check_classification_targets

from ._core.events import EventClassifierMixin, EventMixin

__all__ = [
    "GroupEncoder",
    "StreamingEstimatorMixin",
    "StreamingClassifierMixin",
    "check_sensitive_features",
    "check_chunk_X",
    "check_target",
]


# --------------------------------------------------------------------------------------------
# sensitive features
# --------------------------------------------------------------------------------------------
def _is_missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(pd.DataFrame(values)).to_numpy().any(axis=1))


def check_sensitive_features(sensitive_features, n_samples, *, name="sensitive_features"):
    """Validate sensitive features and return them as a 2-D object array plus column names.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels (numbers, strings, booleans or categoricals), a pandas Series or DataFrame,
        a list, or a dict of columns. Several columns define intersectional groups.
    n_samples : int
        The number of rows the features must have.
    name : str, default="sensitive_features"
        Argument name used in error messages.

    Returns
    -------
    values : ndarray of shape (n_samples, n_attributes), dtype object
        Labels with numpy scalars turned into Python scalars (so ``1`` and ``np.int64(1)`` are
        the same group).
    columns : list of str
        Attribute names (DataFrame/Series/dict names, else ``"sensitive_feature_<j>"``).

    Raises
    ------
    ValueError
        If the length differs from ``n_samples``, the array has more than 2 dimensions or no
        column, or any label is missing (None/NaN) or infinite.
    """
    if sensitive_features is None:
        raise ValueError(f"{name} is required.")
    if isinstance(sensitive_features, dict):
        sensitive_features = pd.DataFrame(sensitive_features)
    if isinstance(sensitive_features, pd.Series):
        columns = [str(sensitive_features.name) if sensitive_features.name is not None
                   else "sensitive_feature_0"]
        values = sensitive_features.astype(object).to_numpy().reshape(-1, 1)
    elif isinstance(sensitive_features, pd.DataFrame):
        columns = [str(c) for c in sensitive_features.columns]
        values = sensitive_features.astype(object).to_numpy()
    else:
        try:
            arr = np.asarray(sensitive_features)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
        if arr.ndim == 0:
            raise ValueError(f"{name} must be 1-D or 2-D, got a scalar.")
        if arr.ndim > 2:
            raise ValueError(f"{name} must be 1-D or 2-D, got {arr.ndim} dimensions.")
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        columns = [f"sensitive_feature_{j}" for j in range(arr.shape[1])]
        values = arr.astype(object)
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column.")
    if values.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {values.shape[0]} rows but X/y have {n_samples}; they must match."
        )
    if values.shape[0] and _is_missing(values).any():
        raise ValueError(f"{name} contains missing values (None/NaN); every sample needs a group.")
    return _as_python_scalars(values, name), columns


def _as_python_scalars(values, name):
    """:func:`_as_python_scalar` of every entry, converting each distinct label once per column."""
    out = np.empty(values.shape, dtype=object)
    for j in range(values.shape[1]):
        column = values[:, j]
        try:
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
        except TypeError:  # unhashable labels: the scalar check raises the clear error
            out[:, j] = [_as_python_scalar(v, name) for v in column]
            continue
        converted = np.empty(len(uniques), dtype=object)
        converted[:] = [_as_python_scalar(v, name) for v in uniques]
        out[:, j] = converted[codes]
    return out


def _as_python_scalar(value, name):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        raise ValueError(f"{name} contains an infinite value.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 1.0 and 1 are the same group, as in a pandas groupby
    if isinstance(value, (list, dict, set, np.ndarray)):
        raise TypeError(f"{name} labels must be hashable scalars, got {type(value).__name__}.")
    return value


class GroupEncoder:
    """Incremental encoder of (intersectional) group labels to consecutive integer codes.

    Groups are numbered in order of first appearance in the stream, so codes stay valid as new
    groups arrive. A group is the label itself for one attribute and the tuple of labels for
    several attributes.

    Attributes
    ----------
    groups_ : list
        Known groups, ``groups_[code]`` is the label (or tuple) of that code.
    columns_ : list of str or None
        Attribute names, fixed by the first call to :meth:`encode` with ``update=True``.
    """

    def __init__(self):
        self.groups_ = []
        self.columns_ = None
        self._index = {}

    @property
    def n_groups(self) -> int:
        return len(self.groups_)

    @staticmethod
    def keys(values: np.ndarray) -> list:
        """Row keys of a validated 2-D object array: the label, or the tuple of labels."""
        if values.shape[1] == 1:
            return list(values[:, 0])
        return [tuple(row) for row in values]

    def encode(self, values, columns=None, *, update: bool, name="sensitive_features"):
        """Codes of the rows of ``values`` (from :func:`check_sensitive_features`).

        With ``update=True`` unseen groups get new codes (the encoder changes); with
        ``update=False`` they get ``-1`` and the encoder is left as it is.
        """
        if self.columns_ is not None and values.shape[1] != len(self.columns_):
            raise ValueError(
                f"{name} has {values.shape[1]} columns but the estimator was fitted with "
                f"{len(self.columns_)} ({self.columns_})."
            )
        # factorize the rows once (vectorized), then look up only the distinct rows, in order
        # of first appearance so that new groups are numbered as they arrive
        if values.shape[1] == 1:
            local, _ = pd.factorize(values[:, 0])
        else:
            local, _ = pd.MultiIndex.from_arrays(list(values.T)).factorize()
        _, first = np.unique(local, return_index=True)
        mapping = np.empty(len(first), dtype=np.int64)
        for j, key in enumerate(self.keys(values[first])):
            code = self._index.get(key)
            if code is None:
                if update:
                    code = len(self.groups_)
                    self._index[key] = code
                    self.groups_.append(key)
                else:
                    code = -1
            mapping[j] = code
        codes = mapping[local]
        if update and self.columns_ is None:
            self.columns_ = list(columns) if columns is not None else None
        return codes

    def copy(self) -> "GroupEncoder":
        new = GroupEncoder()
        new.groups_ = list(self.groups_)
        new.columns_ = None if self.columns_ is None else list(self.columns_)
        new._index = dict(self._index)
        return new


# --------------------------------------------------------------------------------------------
# X and y
# --------------------------------------------------------------------------------------------
def check_chunk_X(estimator, X, *, reset: bool, ensure_min_samples: int = 1):
    """Validate a chunk's ``X`` without changing ``estimator``.

    Returns the float64 C-contiguous array and a ``commit`` callable that records
    ``n_features_in_`` / ``feature_names_in_`` when ``reset`` is true (call it only once the
    whole chunk is accepted). When ``reset`` is false the feature count and names must match
    those seen at the first call.
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


def check_target(y, n_samples, *, name="y", numeric=False):
    """1-D target of length ``n_samples`` with no missing or infinite values."""
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
class StreamingEstimatorMixin(EventMixin):
    """``fit``/``partial_fit``/``partial_fit_predict`` contract shared by the library's estimators.

    It also gives every estimator river's per-event methods ``learn_one`` / ``predict_one``
    (and ``predict_proba_one`` for classifiers), see ``fairlearn_online/_core/events.py``.

    Subclasses implement:

    * ``_reset()``: forget all learned state (delete attributes ending in ``_``);
    * ``_partial_fit(X, y, groups, return_predictions)``: learn from a validated chunk, one sample
      at a time, and return the per-sample predictions made before each update when asked;
    * ``_validate_partial_fit(X, y, sensitive_features, **kwargs)``: validate a chunk without
      side effects and return ``(X, y, groups, commit)`` where ``commit()`` applies the
      bookkeeping (feature count, new classes or groups).

    The mixin guarantees that nothing is changed when validation fails.
    """

    def _is_fitted(self) -> bool:
        return hasattr(self, "n_features_in_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # check_chunk_X densifies sparse chunks
        return tags

    def _reset(self):
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)

    def fit(self, X, y, *, sensitive_features=None, **fit_params):
        """Forget the learned state and learn from all rows of ``X`` in order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None
            Group labels; ``None`` puts every sample in one group (no fairness signal).
        **fit_params : dict
            Forwarded to ``partial_fit`` (e.g. ``classes``).

        Returns
        -------
        self : object
        """
        self._reset()
        return self.partial_fit(X, y, sensitive_features=sensitive_features, **fit_params)

    def partial_fit(self, X, y, *, sensitive_features=None, **kwargs):
        """Learn from one chunk of the stream, one sample at a time in row order.

        A chunk that fails validation raises before any state changes. An empty chunk is a
        no-op once the estimator has been fitted; it is an error on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes), default=None

        Returns
        -------
        self : object
        """
        self._learn_chunk(X, y, sensitive_features, return_predictions=False, **kwargs)
        return self

    def partial_fit_predict(self, X, y, *, sensitive_features=None, **kwargs):
        """Test-then-train on a chunk: predict each sample, then learn from it.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The prediction for each sample made by the model as it was just before that sample
            was learned (the prequential protocol).
        """
        return self._learn_chunk(X, y, sensitive_features, return_predictions=True, **kwargs)

    def _learn_chunk(self, X, y, sensitive_features, *, return_predictions, **kwargs):
        if self._is_fitted():
            n_rows = _n_rows(X)
            if n_rows == 0:
                check_target(y, 0)
                return np.empty(0) if return_predictions else None
            if n_rows == 1:  # one event: the per-event fast route when it applies
                out = self._learn_one_row_fast(X, y, sensitive_features, return_predictions,
                                               kwargs)
                if out is not NotImplemented:
                    return out
        X_arr, y_arr, groups, commit = self._validate_partial_fit(
            X, y, sensitive_features, **kwargs)
        commit()
        out = self._partial_fit(X_arr, y_arr, groups, return_predictions)
        self._event_remember_params()
        return out

    def _check_groups(self, sensitive_features, n_samples, *, reset):
        """Group codes of a chunk and the encoder to commit, without changing ``self``.

        ``sensitive_features=None`` puts every sample in one group (labelled ``None``); this is
        allowed only while the estimator has never been given sensitive features.
        Returns ``(codes, encoder)``; assign ``self.group_encoder_ = encoder`` in ``commit``.
        """
        encoder = GroupEncoder() if reset else self.group_encoder_.copy()
        if sensitive_features is None:
            if encoder.columns_ not in (None, ["<none>"]):
                raise ValueError(
                    "sensitive_features is required: the estimator was fitted with "
                    f"sensitive features {encoder.columns_}."
                )
            values = np.full((n_samples, 1), None, dtype=object)
            return encoder.encode(values, ["<none>"], update=True), encoder
        values, columns = check_sensitive_features(sensitive_features, n_samples)
        if encoder.columns_ == ["<none>"]:
            raise ValueError(
                "sensitive_features were not given at the first call; they cannot start mid-stream."
            )
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
                classes_ = np.unique(check_target(classes, len(np.asarray(classes)), name="classes"))
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
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _n_rows(X) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return -1


def check_fitted(estimator):
    """Raise sklearn's ``NotFittedError`` unless ``estimator`` has learned from data."""
    check_is_fitted(estimator, "n_features_in_")


def check_positive(value, name, *, allow_zero=False, integer=False):
    """Validate a scalar hyper-parameter; returns it."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a real number'}, "
                        f"got {value!r}.")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}.")
    return value
