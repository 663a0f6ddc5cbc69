"""Sensitive features: one set of rules and messages for every estimator and metric.

``sensitive_features`` follows fairlearn: a 1-D array/list/Series of group labels, or a 2-D
array/DataFrame/dict with one column per protected attribute, whose rows' tuples are the
intersectional groups (see ``docs/user_guide/protocol.md``). The rules, written once here:

* **missing labels** (None, NaN, ``pd.NA``) are a ``ValueError`` for every input type, plain
  lists included (numpy would turn ``["f", np.nan]`` into the string ``"nan"``);
* **labels** ``1``, ``1.0`` and ``np.int64(1)`` are one group (as a pandas ``groupby``), but
  ``1`` and ``"1"`` are two, and their names stay distinct (:func:`group_names`);
* **mixed types** in one column (``[30, "65+", ...]``) are allowed; groups are ordered as
  fairlearn's ``MetricFrame.by_group`` orders them, numbers before strings (:func:`sort_groups`);
* **a 1-D Series of tuples** is one attribute whose labels are tuples;
* **columns are matched by name** when both the fitted and the new chunk's columns have names:
  the same columns in another order are realigned, renamed columns are a ``ValueError``
  (:func:`align_columns`); unnamed columns (arrays, lists) are matched by position;
* **a numeric attribute with many distinct values** (e.g. age) makes one group per value:
  a warning says how many groups and how to bin (:func:`warn_many_groups`).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "GROUPS_ATTRIBUTE_DOC",
    "GroupEncoder",
    "LearnedGroupsMixin",
    "MANY_GROUPS",
    "align_columns",
    "check_sensitive_features",
    "check_stream_columns",
    "grow_rows",
    "not_mid_stream",
    "group_names",
    "sort_groups",
    "warn_many_groups",
]

#: A stream's groups past this number, with a numeric attribute among the columns, trigger
#: :func:`warn_many_groups` (once per encoder).
MANY_GROUPS = 50


def _is_missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(pd.DataFrame(values)).to_numpy().any(axis=1))


def _default_columns(n_columns):
    return [f"sensitive_feature_{j}" for j in range(n_columns)]


def _has_names(columns) -> bool:
    """Whether column names were given by the user (not numpy positions or a RangeIndex)."""
    k = len(columns)
    return list(columns) not in (_default_columns(k), [str(j) for j in range(k)])


def check_sensitive_features(sensitive_features, n_samples, *, name="sensitive_features"):
    """Validate sensitive features and return them as a 2-D object array plus column names.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group labels (numbers, strings, booleans, categoricals, tuples), a pandas Series or
        DataFrame, a list, or a dict of columns. Several columns define intersectional groups.
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
        column, or any label is missing (None/NaN) or infinite, whatever the input type.
    """
    if sensitive_features is None:
        raise ValueError(f"{name} is required.")
    if isinstance(sensitive_features, dict):
        sensitive_features = pd.DataFrame(sensitive_features)
    if isinstance(sensitive_features, pd.Series):
        columns = [str(sensitive_features.name) if sensitive_features.name is not None
                   else "sensitive_feature_0"]
        values = np.empty((len(sensitive_features), 1), dtype=object)
        values[:, 0] = sensitive_features.astype(object).to_numpy()  # tuples stay one label
    elif isinstance(sensitive_features, pd.DataFrame):
        columns = [str(c) for c in sensitive_features.columns]
        values = sensitive_features.astype(object).to_numpy()
    else:
        try:
            if isinstance(sensitive_features, (list, tuple)):
                # dtype=object: numpy would otherwise turn NaN/None among strings into "nan"
                arr = np.asarray(sensitive_features, dtype=object)
            else:
                arr = np.asarray(sensitive_features)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
        if arr.ndim == 0:
            raise ValueError(f"{name} must be 1-D or 2-D, got a scalar.")
        if arr.ndim > 2:
            raise ValueError(f"{name} must be 1-D or 2-D, got {arr.ndim} dimensions.")
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        columns = _default_columns(arr.shape[1])
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


def align_columns(values, columns, fitted_columns, *, name="sensitive_features"):
    """``values`` with its columns in the order of ``fitted_columns``.

    Columns are matched by name when both sides have names, by position otherwise.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_attributes)
        From :func:`check_sensitive_features`.
    columns : list of str
        Their names.
    fitted_columns : list of str or None
        The names fixed by the first chunk (``None``: nothing fitted yet, ``values`` is returned).
    name : str, default="sensitive_features"

    Returns
    -------
    values : ndarray of shape (n_samples, n_attributes)

    Raises
    ------
    ValueError
        If the number of columns differs, or the names differ other than by their order.
    """
    if fitted_columns is None:
        return values
    fitted_columns = list(fitted_columns)
    if len(columns) != len(fitted_columns):
        raise ValueError(
            f"{name} has {len(columns)} columns but the estimator was fitted with "
            f"{len(fitted_columns)} ({fitted_columns}).")
    if list(columns) == fitted_columns or not (_has_names(columns)
                                               and _has_names(fitted_columns)):
        return values
    if sorted(columns) == sorted(fitted_columns) and len(set(columns)) == len(columns):
        order = [list(columns).index(c) for c in fitted_columns]
        return values[:, order]
    raise ValueError(
        f"{name} has columns {list(columns)} but the estimator was fitted with "
        f"{fitted_columns}; columns are matched by name. Rename them back, or call fit to start "
        "over with the new columns.")



def not_mid_stream(source="sensitive_features"):
    """The error for group information that a stream did not have from its first chunk.

    Parameters
    ----------
    source : str, default="sensitive_features"
        The argument that was not given at the first call.

    Returns
    -------
    error : ValueError
    """
    return ValueError(f"{source} were not given at the first call; they cannot start "
                      "mid-stream.")


def check_stream_columns(sensitive_features, n_samples, fitted_columns, *, reset):
    """A chunk's sensitive features checked against the columns its stream started with.

    The one set of rules for every estimator: a stream that started with sensitive features
    needs them in every chunk, one that started without cannot get them later, and the columns
    are put in the first chunk's order (:func:`align_columns`).

    Parameters
    ----------
    sensitive_features : array-like, DataFrame, dict or None
    n_samples : int
        The rows of the chunk.
    fitted_columns : list of str or None
        The columns of the first chunk (``None``: it had none); ignored when ``reset``.
    reset : bool
        Whether this is the first chunk.

    Returns
    -------
    values : ndarray of shape (n_samples, n_attributes) or None
        ``None`` when ``sensitive_features`` is ``None`` (allowed only for a stream without).
    columns : list of str or None
        The first chunk's columns (this chunk's own when ``reset``).
    """
    if sensitive_features is None:
        if not reset and fitted_columns is not None:
            raise ValueError("sensitive_features is required: the estimator was fitted with "
                             f"sensitive features {list(fitted_columns)}.")
        return None, None
    values, columns = check_sensitive_features(sensitive_features, n_samples)
    if reset:
        return values, columns
    if fitted_columns is None:
        raise not_mid_stream()
    return align_columns(values, columns, fitted_columns), list(fitted_columns)


def grow_rows(array, n_rows):
    """``array`` with zero rows appended along axis 0 up to ``n_rows`` (no copy if unchanged):
    per-group state gets a row for each group that arrives mid-stream.

    Parameters
    ----------
    array : ndarray of shape (n, ...)
    n_rows : int

    Returns
    -------
    array : ndarray of shape (max(n, n_rows), ...)
        C-contiguous when grown.
    """
    if array.shape[0] >= n_rows:
        return array
    extra = np.zeros((n_rows - array.shape[0],) + array.shape[1:], dtype=array.dtype)
    return np.ascontiguousarray(np.concatenate([array, extra], axis=0))

def _label_sort_key(label):
    if isinstance(label, tuple):
        return (2, tuple(_label_sort_key(v) for v in label))
    if isinstance(label, (bool, numbers.Real)):
        return (0, label)
    if isinstance(label, str):
        return (1, label)
    return (3, type(label).__name__, str(label))


def sort_groups(groups) -> np.ndarray:
    """Positions that sort ``groups`` as fairlearn's ``MetricFrame.by_group``.

    Labels of mixed types are ordered numbers first, then strings (``[1, 30, "65+"]``);
    intersectional tuples element by element.

    Parameters
    ----------
    groups : list
        Group labels (scalars or tuples).

    Returns
    -------
    order : ndarray of int
        ``[groups[i] for i in order]`` is in that order.
    """
    keys = [_label_sort_key(g) for g in groups]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def group_names(labels) -> list:
    """Distinct display names of distinct labels: ``str`` when unambiguous, ``repr`` otherwise.

    ``[1, "1", "a"]`` gives ``["1", "'1'", "a"]``: the integer keeps its plain name, the
    string that would print the same is quoted.

    Parameters
    ----------
    labels : list
        Distinct labels (scalars or tuples).

    Returns
    -------
    names : list of str
        One per label, in the order of ``labels``.
    """
    plain = [_plain_name(v) for v in labels]
    counts = pd.Series(plain).value_counts()
    return [p if counts[p] == 1 else _quoted_name(v) for v, p in zip(labels, plain)]


def _quoted_name(label) -> str:
    if isinstance(label, tuple):
        return ",".join(_quoted_name(v) for v in label)
    return repr(label) if isinstance(label, str) else str(label)


def _plain_name(label) -> str:
    return ",".join(map(str, label)) if isinstance(label, tuple) else str(label)


def warn_many_groups(values, columns, n_groups_before, n_groups, *, name="sensitive_features",
                     stacklevel=4):
    """Warn once when a stream's groups pass :data:`MANY_GROUPS` because of a numeric column.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_attributes)
        The chunk's labels.
    columns : list of str
    n_groups_before, n_groups : int
        Number of groups before and after the chunk; the warning fires only when the chunk
        crosses the threshold, so a stream warns once.
    name : str, default="sensitive_features"
    stacklevel : int, default=4
    """
    if not n_groups_before <= MANY_GROUPS < n_groups:
        return
    numeric = []
    for j, column in enumerate(columns):
        col = values[:, j]
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in col):
            numeric.append((column, len(pd.unique(col))))
    if not numeric:
        return
    detail = ", ".join(f"{c!r} ({k} distinct values)" for c, k in numeric)
    warnings.warn(
        f"{name} define {n_groups} groups so far; the numeric column(s) {detail} make one group "
        "per distinct value. Bin them first (e.g. pd.cut(age, [0, 25, 45, 65, 120])) or pass "
        "only the categorical attributes.", UserWarning, stacklevel=stacklevel)


class GroupEncoder:
    """Incremental encoder of (intersectional) group labels to consecutive integer codes.

    Groups are numbered in order of first appearance in the stream, so codes stay valid as new
    groups arrive. A group is the label itself for one attribute and the tuple of labels for
    several attributes. Later chunks' columns are aligned by name (``align_columns``).

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

    @property
    def group_names(self) -> list:
        """Distinct display names of ``groups_`` (``group_names``), in code order."""
        return group_names(self.groups_)

    @staticmethod
    def keys(values: np.ndarray) -> list:
        """Row keys of a validated 2-D object array: the label, or the tuple of labels."""
        if values.shape[1] == 1:
            return list(values[:, 0])
        return [tuple(row) for row in values]

    def encode(self, values, columns=None, *, update: bool, name="sensitive_features"):
        """Codes of the rows of ``values`` (from :func:`check_sensitive_features`).

        With ``update=True`` unseen groups get new codes (the encoder changes); with
        ``update=False`` they get ``-1`` and the encoder is left as it is. Columns named
        ``columns`` are first put in the order of ``columns_``.
        """
        if self.columns_ is not None:
            if values.shape[1] != len(self.columns_):
                raise ValueError(
                    f"{name} has {values.shape[1]} columns but the estimator was fitted with "
                    f"{len(self.columns_)} ({self.columns_}).")
            if columns is not None:
                values = align_columns(values, columns, self.columns_, name=name)
        if values.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        # factorize the rows once (vectorized), then look up only the distinct rows, in order
        # of first appearance so that new groups are numbered as they arrive
        if values.shape[1] == 1:
            local, _ = pd.factorize(values[:, 0])
        else:
            local, _ = pd.MultiIndex.from_arrays(list(values.T)).factorize()
        _, first = np.unique(local, return_index=True)
        mapping = np.empty(len(first), dtype=np.int64)
        n_before = len(self.groups_)
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
        if update:
            if self.columns_ is None:
                self.columns_ = list(columns) if columns is not None else None
            if columns is not None:
                warn_many_groups(values, columns, n_before, len(self.groups_), name=name)
        return codes

    def copy(self) -> "GroupEncoder":
        new = GroupEncoder()
        new.groups_ = list(self.groups_)
        new.columns_ = None if self.columns_ is None else list(self.columns_)
        new._index = dict(self._index)
        return new


#: the numpydoc entry of ``groups_`` (:class:`LearnedGroupsMixin`), in every estimator's
#: Attributes
GROUPS_ATTRIBUTE_DOC = """
groups_ : list
    The sensitive-feature groups learned so far, in the order the estimator numbers them (of
    first appearance): a label, or the tuple of labels of several sensitive columns; ``[None]``
    when fitted without sensitive features.
"""


class LearnedGroupsMixin:
    """``groups_``: the learned groups of an estimator keeping a :class:`GroupEncoder` in
    ``group_encoder_`` (the one public name of the groups across the library's estimators and
    running metrics)."""

    @property
    def groups_(self) -> list:
        """The learned sensitive-feature groups, in the order the estimator numbers them.

        Returns
        -------
        groups : list
        """
        encoder = self.__dict__.get("group_encoder_")
        if encoder is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"This {type(self).__name__} instance has no groups_ yet: call "
                                 "fit or partial_fit first.")
        return list(encoder.groups_)
