"""Group membership for the groupwise-regret learner (docs/user_guide/regret.md).

Groups may overlap. They come either from ``sensitive_features`` (every (attribute, value) pair
is a group, optionally also every intersectional row tuple) or from an explicit boolean
membership matrix ``(n_samples, n_groups)``. :class:`GroupMembership` numbers the groups in order
of first appearance so that new groups can arrive mid-stream; :meth:`GroupMembership.transform`
never changes the object, it returns the matrix and an updated copy to commit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._core.groups import not_mid_stream
from ..base import align_columns, check_sensitive_features

__all__ = ["GroupMembership", "check_membership_matrix"]

GROUPINGS = ("pairs", "intersections", "both")
ALWAYS_ON = "always_on"


def check_membership_matrix(groups, n_samples, *, name="groups"):
    """Validate an explicit membership matrix; return ``(bool array (n, G), column names)``.

    Accepts a 2-D boolean or 0/1 numeric array-like or a DataFrame (its column names name the
    groups). Raises ``ValueError`` on a wrong shape, missing values or entries other than 0/1.
    """
    if isinstance(groups, pd.Series):
        groups = groups.to_frame()
    if isinstance(groups, pd.DataFrame):
        names = [str(c) for c in groups.columns]
        frame = groups
        if frame.isna().to_numpy().any():
            raise ValueError(f"{name} contains missing values.")
        try:
            arr = frame.to_numpy(dtype=np.float64)
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


def _alt_name(value):
    """Name of a label whose plain ``str`` is taken by another label (``1`` and ``"1"``)."""
    return repr(value) if isinstance(value, str) else f"{value} ({type(value).__name__})"


class GroupMembership:
    """Incremental group dictionary: expert ``i`` belongs to group ``names[i]``.

    Parameters
    ----------
    grouping : {"pairs", "intersections", "both"}
        How groups are derived from ``sensitive_features``.
    include_always_on : bool
        Put an ``"always_on"`` group containing every sample first.
    """

    def __init__(self, grouping="pairs", include_always_on=True):
        self.grouping = grouping
        self.include_always_on = include_always_on
        self.source = None        # "sensitive_features", "groups" or "none"
        self.columns = None       # attribute names or matrix column names
        self.names = [ALWAYS_ON] if include_always_on else []
        self.keys = [ALWAYS_ON] if include_always_on else []
        self._index = {ALWAYS_ON: 0} if include_always_on else {}

    @property
    def n_groups(self):
        return len(self.names)

    def copy(self):
        new = GroupMembership.__new__(GroupMembership)
        new.grouping = self.grouping
        new.include_always_on = self.include_always_on
        new.source = self.source
        new.columns = None if self.columns is None else list(self.columns)
        new.names = list(self.names)
        new.keys = list(self.keys)
        new._index = dict(self._index)
        return new

    def _add(self, key, name, quoted=None):
        """Index of group ``key``, added under ``name`` if new (``quoted`` when ``name`` is
        taken by another group: ``1`` and ``"1"`` are two groups with two names)."""
        index = self._index.get(key)
        if index is None:
            if name in self.names and quoted is not None:
                name = quoted
            index = len(self.names)
            self._index[key] = index
            self.keys.append(key)
            self.names.append(name)
        return index

    def transform(self, n_samples, *, sensitive_features=None, groups=None):
        """Membership matrix of a chunk and the updated dictionary (``self`` is not changed).

        Returns
        -------
        member : ndarray of shape (n_samples, n_groups_after), bool
            Column ``i`` is expert ``i``'s group; groups first seen in this chunk get new columns.
        updated : GroupMembership
        """
        if sensitive_features is not None and groups is not None:
            raise ValueError("Pass either sensitive_features or groups, not both.")
        source = ("groups" if groups is not None
                  else "sensitive_features" if sensitive_features is not None else "none")
        if self.source is not None and source != self.source:
            if self.source == "none":
                raise not_mid_stream(source)
            raise ValueError(
                f"The estimator was fitted with {self.source}; pass {self.source} "
                f"(got {'nothing' if source == 'none' else source}).")
        new = self.copy()
        new.source = source
        columns_of_groups = []  # (expert index, boolean mask)
        if source == "sensitive_features":
            values, columns = check_sensitive_features(sensitive_features, n_samples)
            values = align_columns(values, columns, new.columns)
            if new.columns is None:
                new.columns = list(columns)
            single = values.shape[1] == 1
            if self.grouping in ("pairs", "both"):
                for j in range(values.shape[1]):
                    codes, uniques = pd.factorize(pd.Series(values[:, j], dtype=object))
                    for c, value in enumerate(uniques):
                        name = str(value) if single else f"{new.columns[j]}={value}"
                        quoted = _alt_name(value) if single else f"{new.columns[j]}={_alt_name(value)}"
                        index = new._add(("pair", j, value), name, quoted)
                        columns_of_groups.append((index, codes == c))
            if self.grouping in ("intersections", "both") and not (single and self.grouping == "both"):
                keys = [tuple(row) for row in values]
                codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
                for c, key in enumerate(uniques):
                    name = ", ".join(f"{col}={v}" for col, v in zip(new.columns, key))
                    quoted = ", ".join(f"{col}={_alt_name(v)}" for col, v in zip(new.columns, key))
                    if single:
                        name, quoted = str(key[0]), _alt_name(key[0])
                    index = new._add(("intersection", key), name, quoted)
                    columns_of_groups.append((index, codes == c))
        elif source == "groups":
            arr, names = check_membership_matrix(groups, n_samples)
            named = isinstance(groups, (pd.DataFrame, pd.Series))
            if new.columns is not None and not named and arr.shape[1] < len(new.columns):
                raise ValueError(
                    f"groups has {arr.shape[1]} columns but {len(new.columns)} groups were seen "
                    "before; columns are matched by position (pass a DataFrame to match by name).")
            new.columns = list(dict.fromkeys((new.columns or []) + names))
            for j, name in enumerate(names):
                index = new._add(("group", name), name)
                columns_of_groups.append((index, arr[:, j]))
        member = np.zeros((n_samples, new.n_groups), dtype=bool)
        if new.include_always_on:
            member[:, 0] = True
        for index, mask in columns_of_groups:
            member[:, index] |= mask
        return member, new
