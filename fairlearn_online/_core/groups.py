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
  a warning says how many groups and how to bin (:func:`warn_many_groups`);
* **typed frames** (the statistics of ``fairlearn_online.dcov``) keep each attribute's dtype,
  which decides whether it is categorical or numeric (:func:`encode_typed_attributes`, and
  :func:`typed_subgroups` for the intersectional subgroups with numeric attributes binned);
  the same checks and messages apply to them.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from .docstrings import fill_doc

__all__ = [
    "GROUPS_ATTRIBUTE_DOC",
    "GroupEncoder",
    "LearnedGroupsMixin",
    "MANY_GROUPS",
    "align_columns",
    "check_membership_matrix",
    "check_sensitive_features",
    "check_stream_columns",
    "encode_groups",
    "encode_typed_attributes",
    "group_source",
    "grow_rows",
    "not_mid_stream",
    "group_names",
    "sort_groups",
    "typed_frame",
    "typed_subgroups",
    "warn_many_groups",
]

#: A stream's groups past this number, with a numeric attribute among the columns, trigger
#: :func:`warn_many_groups` (once per encoder).
MANY_GROUPS = 50


def _default_columns(n_columns):
    return [f"sensitive_feature_{j}" for j in range(n_columns)]


def _has_names(columns) -> bool:
    """Whether column names were given by the user (not numpy positions or a RangeIndex)."""
    k = len(columns)
    return list(columns) not in (_default_columns(k), [str(j) for j in range(k)])


def _as_table(sensitive_features, name):
    """The input as a pandas DataFrame or Series, or else a 2-D ndarray, with its column names.

    A dict becomes a DataFrame; a list or tuple an object array, because numpy would turn
    ``[30, "65+"]`` into strings and ``["f", np.nan]`` into ``"nan"``.
    """
    if sensitive_features is None:
        raise ValueError(f"{name} is required.")
    if isinstance(sensitive_features, dict):
        sensitive_features = pd.DataFrame(sensitive_features)
    if isinstance(sensitive_features, pd.Series):
        label = sensitive_features.name
        return sensitive_features, [str(label) if label is not None else "sensitive_feature_0"]
    if isinstance(sensitive_features, pd.DataFrame):
        return sensitive_features, [str(c) for c in sensitive_features.columns]
    try:
        if isinstance(sensitive_features, (list, tuple)):
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
    return arr, _default_columns(arr.shape[1])


def _check_size(shape, n_samples, name, rows_of):
    if len(shape) != 2 or shape[1] == 0:
        raise ValueError(f"{name} must have at least one column.")
    if shape[0] != n_samples:
        raise ValueError(
            f"{name} has {shape[0]} rows but {rows_of} {n_samples}; they must match.")


def _missing_values(name, column):
    return ValueError(f"{name} contains missing values (None/NaN) in column {column!r}; every "
                      "sample needs a group.")


def _infinite_value(name, column=None):
    where = "" if column is None else f" in column {column!r}"
    return ValueError(f"{name} contains an infinite value{where}; every value must be finite "
                      "(no infinity).")


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
    table, columns = _as_table(sensitive_features, name)
    if isinstance(table, pd.Series):
        values = np.empty((len(table), 1), dtype=object)
        values[:, 0] = table.astype(object).to_numpy()  # tuples stay one label
    elif isinstance(table, pd.DataFrame):
        values = table.astype(object).to_numpy()
    else:
        values = table.astype(object)
    _check_size(values.shape, n_samples, name, "X/y have")
    if values.shape[0]:
        missing = pd.isna(pd.DataFrame(values)).to_numpy().any(axis=0)
        if missing.any():
            raise _missing_values(name, columns[int(np.argmax(missing))])
    return _as_python_scalars(values, name, columns), columns


def _as_python_scalars(values, name, columns):
    """:func:`_as_python_scalar` of every entry, converting each distinct label once per column."""
    out = np.empty(values.shape, dtype=object)
    for j in range(values.shape[1]):
        column = values[:, j]
        try:
            codes, uniques = pd.factorize(column, use_na_sentinel=False)
        except TypeError:  # unhashable labels: the scalar check raises the clear error
            out[:, j] = [_as_python_scalar(v, name, columns[j]) for v in column]
            continue
        converted = np.empty(len(uniques), dtype=object)
        converted[:] = [_as_python_scalar(v, name, columns[j]) for v in uniques]
        out[:, j] = converted[codes]
    return out


def _as_python_scalar(value, name, column=None):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        raise _infinite_value(name, column)
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
    fitted_source = (None if reset
                     else "none" if fitted_columns is None else "sensitive_features")
    if group_source(sensitive_features, fitted_source=fitted_source,
                    fitted_columns=fitted_columns) == "none":
        return None, None
    values, columns = check_sensitive_features(sensitive_features, n_samples)
    if reset:
        return values, columns
    return align_columns(values, columns, fitted_columns), list(fitted_columns)


def group_source(sensitive_features=None, groups=None, *, fitted_source=None,
                 fitted_columns=None):
    """The argument a chunk gives its groups by, checked against the one its stream started
    with: the same rules for the group labels of every estimator and for explicit membership
    matrices (``groups``, :func:`check_membership_matrix`).

    Parameters
    ----------
    sensitive_features, groups : object or None
        The chunk's arguments; at most one may be given.
    fitted_source : {"sensitive_features", "groups", "none"} or None, default=None
        The source of the stream's first chunk (``"none"``: neither), ``None`` for the first
        chunk itself.
    fitted_columns : list of str or None, default=None
        The first chunk's columns, named in the error when they are missing.

    Returns
    -------
    source : {"sensitive_features", "groups", "none"}

    Raises
    ------
    ValueError
        If both are given, if a stream that started without groups gets them
        (:func:`not_mid_stream`), or if the source differs from the first chunk's.
    """
    if sensitive_features is not None and groups is not None:
        raise ValueError("Pass either sensitive_features or groups, not both.")
    source = ("groups" if groups is not None
              else "sensitive_features" if sensitive_features is not None else "none")
    if fitted_source is None or source == fitted_source:
        return source
    if fitted_source == "none":
        raise not_mid_stream(source)
    if source == "none":
        columns = "" if fitted_columns is None else f" {list(fitted_columns)}"
        raise ValueError(f"{fitted_source} is required: the estimator was fitted with "
                         f"{fitted_source.replace('_', ' ')}{columns}.")
    raise ValueError(f"The estimator was fitted with {fitted_source}; pass {fitted_source} "
                     f"(got {source}).")


def check_membership_matrix(groups, n_samples, *, name="groups"):
    """Validate an explicit membership matrix of possibly overlapping groups.

    Parameters
    ----------
    groups : array-like of shape (n_samples, n_groups) or DataFrame
        Booleans or 0/1 numbers, ``groups[i, g]`` whether sample ``i`` is in group ``g``; a
        DataFrame's (or Series') column names name the groups.
    n_samples : int
        The rows it must have.
    name : str, default="groups"
        Argument name used in error messages.

    Returns
    -------
    member : ndarray of shape (n_samples, n_groups), bool
    names : list of str
        The column names, else ``"group_<j>"``.

    Raises
    ------
    ValueError
        On a wrong shape, missing values or entries other than 0/1.
    """
    if isinstance(groups, pd.Series):
        groups = groups.to_frame()
    if isinstance(groups, pd.DataFrame):
        names = [str(c) for c in groups.columns]
        if groups.isna().to_numpy().any():
            raise ValueError(f"{name} contains missing values.")
        try:
            arr = groups.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold booleans or 0/1 numbers: {exc}") from exc
    else:
        try:
            arr = np.asarray(groups)
        except Exception as exc:  # ragged input
            raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be a 2-D membership matrix (n_samples, n_groups); got "
                f"{arr.ndim} dimension(s).")
        names = [f"group_{j}" for j in range(arr.shape[1])]
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold booleans or 0/1 numbers, got dtype {arr.dtype}.")
        arr = arr.astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D.")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} rows but X has {n_samples}; they must match.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column (group).")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must contain only booleans or 0/1 values.")
    return arr.astype(bool), names


#: pandas ``infer_dtype`` kinds that make an attribute of a typed frame numeric
_NUMERIC_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}


#: the input of the typed-frame functions, in their Parameters
TYPED_INPUT_DOC = """
sensitive_features : array-like, DataFrame, Series or dict of str to array-like
    One column per protected attribute, of any type.
n_samples : int, optional
    The rows it must have; by default its own length.
"""
ROWS_OF_DOC = """
rows_of : str, default="yhat has"
    What the row count is compared with, in the error message.
"""


@fill_doc(typed_input=TYPED_INPUT_DOC, rows_of=ROWS_OF_DOC)
def typed_frame(sensitive_features, n_samples=None, *, name="sensitive_features",
                rows_of="yhat has"):
    """Sensitive features as a DataFrame that keeps each attribute's type, checked as
    :func:`check_sensitive_features` checks them.

    The frame of the attributes-of-any-type statistics (``fairlearn_online.dcov``): where
    :func:`check_sensitive_features` turns every label into a Python scalar of one object
    array, this keeps the dtypes that decide the kind of an attribute
    (:func:`encode_typed_attributes`). Lists and tuples get pandas' per-column types.

    Parameters
    ----------
    %(typed_input)s
    name : str, default="sensitive_features"
        Argument name used in error messages.
    %(rows_of)s

    Returns
    -------
    frame : DataFrame of shape (n_samples, n_attributes)
    columns : list of str
        Attribute names, as :func:`check_sensitive_features` names them.

    Raises
    ------
    ValueError
        If the length differs from ``n_samples``, the array has more than 2 dimensions or no
        column, or any value is missing (None/NaN).
    """
    if n_samples is None:
        n_samples = len(sensitive_features) if hasattr(sensitive_features, "__len__") else -1
        if isinstance(sensitive_features, dict):
            n_samples = len(next(iter(sensitive_features.values()))) if sensitive_features else 0
    table, columns = _as_table(sensitive_features, name)
    if isinstance(table, pd.Series):
        frame = table.to_frame()
    elif isinstance(table, pd.DataFrame):
        frame = table
    elif isinstance(sensitive_features, (list, tuple)):
        frame = pd.DataFrame(list(table)).infer_objects()  # per-column types of the rows
    else:
        frame = pd.DataFrame(table)
    _check_size(frame.shape, n_samples, name, rows_of)
    missing = frame.isna().to_numpy().any(axis=0)
    if missing.any():
        raise _missing_values(name, columns[int(np.argmax(missing))])
    return frame, columns


@fill_doc(typed_input=TYPED_INPUT_DOC, rows_of=ROWS_OF_DOC)
def encode_typed_attributes(sensitive_features, n_samples=None, *, name="sensitive_features",
                            values=True, rows_of="yhat has"):
    """The kind, levels and numeric encoding of every attribute of a :func:`typed_frame`.

    Kinds, decided per column: **constant** (one distinct value); **binary** (two distinct
    values, any dtype); **categorical** (string, object, ``category`` or boolean dtype with
    more than two values); **numeric** (integer or floating values, also in object columns,
    with more than two values). Encodings: constant none (width 0), binary 0/1, categorical
    one-hot, numeric standardized to mean 0 and variance 1 (``ddof=0``) on the given sample.

    Parameters
    ----------
    %(typed_input)s
    name : str, default="sensitive_features"
        Argument name used in error messages.
    values : bool, default=True
        Build the binary and one-hot matrices (``False``: only the numeric attributes' values,
        for callers that need only the level codes).
    %(rows_of)s

    Returns
    -------
    blocks : list of dict
        One per column: ``name``, ``kind``, ``codes`` (int64 level of each sample), ``levels``
        (the sorted distinct values) and ``values`` (the encoded float matrix of shape
        ``(n_samples, width)``, or ``None`` when not built).

    Raises
    ------
    ValueError
        As :func:`typed_frame`, or if a numeric attribute contains infinity.
    """
    frame, columns = typed_frame(sensitive_features, n_samples, name=name, rows_of=rows_of)
    blocks = []
    for j, label in enumerate(columns):
        col = frame.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(col):
            numeric = False
        elif col.dtype.kind in "iuf":
            numeric = True
        else:
            numeric = pd.api.types.infer_dtype(col, skipna=False) in _NUMERIC_KINDS
        if numeric:
            numbers_ = col.to_numpy(dtype=np.float64)
            if not np.all(np.isfinite(numbers_)):
                raise _infinite_value(name, label)
            levels, codes = np.unique(numbers_, return_inverse=True)
        else:
            codes, levels = pd.factorize(col, sort=True)
            levels = np.asarray(levels, dtype=object)
        codes = np.asarray(codes, dtype=np.int64).reshape(-1)
        n_levels = len(levels)
        kind = ("constant" if n_levels <= 1 else "binary" if n_levels == 2
                else "numeric" if numeric else "categorical")
        encoded = None
        if kind == "numeric":  # always built: the statistics' generic paths need it
            encoded = ((numbers_ - numbers_.mean()) / numbers_.std()).reshape(-1, 1)
        elif not values:
            pass
        elif kind == "constant":
            encoded = np.zeros((len(col), 0))
        elif kind == "binary":
            encoded = codes.astype(np.float64).reshape(-1, 1)
        else:
            encoded = np.zeros((len(col), n_levels))
            encoded[np.arange(len(col)), codes] = 1.0
        blocks.append(dict(name=label, kind=kind, codes=codes, levels=list(levels),
                           values=encoded))
    return blocks


@fill_doc(typed_input=TYPED_INPUT_DOC, rows_of=ROWS_OF_DOC)
def typed_subgroups(sensitive_features, n_samples=None, *, numeric_bins=4, rows_of="yhat has"):
    """The intersectional subgroup of every row of a :func:`typed_frame`, numeric attributes
    cut into quantile bins.

    Parameters
    ----------
    %(typed_input)s
    numeric_bins : int, default=4
        Quantile bins of the numeric attributes (``pandas.qcut``; duplicate edges are merged).
    %(rows_of)s

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64
        ``0 .. n_subgroups - 1``, in the sorted order of the subgroups.
    labels : list of tuple
        The subgroup of every code: per attribute, its value or its bin (a pandas Interval).
    """
    if (isinstance(numeric_bins, bool) or not isinstance(numeric_bins, numbers.Integral)
            or numeric_bins < 1):
        raise ValueError(f"numeric_bins must be an integer >= 1, got {numeric_bins!r}.")
    blocks = encode_typed_attributes(sensitive_features, n_samples, values=False,
                                     rows_of=rows_of)
    columns = []
    for b in blocks:
        if b["kind"] == "numeric":
            values = np.asarray(b["levels"], dtype=float)[b["codes"]]
            columns.append(pd.Series(pd.qcut(values, numeric_bins, duplicates="drop")))
        else:
            columns.append(pd.Series(np.asarray(b["levels"], dtype=object)[b["codes"]]))
    codes, uniques = pd.MultiIndex.from_frame(pd.concat(columns, axis=1)).factorize(sort=True)
    return np.asarray(codes, dtype=np.int64), list(uniques)


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
            mapping[j] = self.code(key, update=update)
        codes = mapping[local]
        if update:
            if self.columns_ is None:
                self.columns_ = list(columns) if columns is not None else None
            if columns is not None:
                warn_many_groups(values, columns, n_before, len(self.groups_), name=name)
        return codes

    def code(self, key, *, update: bool) -> int:
        """The code of one group (a label or a tuple of labels, :meth:`keys`).

        With ``update=True`` an unseen group gets the next code; with ``update=False`` it gets
        ``-1`` and the encoder is left as it is.
        """
        code = self._index.get(key)
        if code is None:
            if not update:
                return -1
            code = len(self.groups_)
            self._index[key] = code
            self.groups_.append(key)
        return code

    def copy(self) -> "GroupEncoder":
        new = GroupEncoder()
        new.groups_ = list(self.groups_)
        new.columns_ = None if self.columns_ is None else list(self.columns_)
        new._index = dict(self._index)
        return new


def encode_groups(sensitive_features, n_samples, *, name="sensitive_features"):
    """The group codes of one batch of sensitive features that no stream carries on (the items
    of a selection, say): :func:`check_sensitive_features` and a fresh :class:`GroupEncoder`.

    Parameters
    ----------
    sensitive_features : array-like, DataFrame, Series or dict of str to array-like
    n_samples : int
        The rows they must have.
    name : str, default="sensitive_features"
        Argument name used in error messages.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int64
        ``groups[codes[i]]`` is the group of row ``i``; codes follow first appearance.
    groups : list
        The distinct groups: a label, or the tuple of labels of several columns.
    """
    values, columns = check_sensitive_features(sensitive_features, n_samples, name=name)
    encoder = GroupEncoder()
    return encoder.encode(values, columns, update=True, name=name), encoder.groups_


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
