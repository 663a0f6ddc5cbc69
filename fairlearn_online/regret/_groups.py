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

from .._core.groups import (GroupEncoder, align_columns, check_membership_matrix,
                            check_sensitive_features, group_source)

__all__ = ["GroupMembership", "check_membership_matrix"]

GROUPINGS = ("pairs", "intersections", "both")
ALWAYS_ON = "always_on"


def _alt_name(value):
    """Name of a label whose plain ``str`` is taken by another label (``1`` and ``"1"``)."""
    return repr(value) if isinstance(value, str) else f"{value} ({type(value).__name__})"


class GroupMembership:
    """Incremental group dictionary: expert ``i`` belongs to group ``names[i]``.

    The groups are numbered by a :class:`~fairlearn_online._core.groups.GroupEncoder` (the
    library's one incremental group state), keyed ``("pair", column, label)``,
    ``("intersection", labels)`` or ``("group", matrix column)``; the stream's rules (which
    argument gives the groups, aligned columns, valid matrices) are those of
    ``fairlearn_online._core.groups``.

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
        self.encoder = GroupEncoder()
        self.names = []
        if include_always_on:
            self._add(ALWAYS_ON, ALWAYS_ON)

    @property
    def n_groups(self):
        return len(self.names)

    @property
    def keys(self):
        """The key of every group, in expert order."""
        return self.encoder.groups_

    @property
    def _index(self):
        """Key -> expert index, the encoder's own table (the per-event route looks keys up
        in it without encoding a chunk)."""
        return self.encoder._index

    def copy(self):
        new = GroupMembership.__new__(GroupMembership)
        new.grouping = self.grouping
        new.include_always_on = self.include_always_on
        new.source = self.source
        new.columns = None if self.columns is None else list(self.columns)
        new.encoder = self.encoder.copy()
        new.names = list(self.names)
        return new

    def _add(self, key, name, quoted=None):
        """Index of group ``key``, added under ``name`` if new (``quoted`` when ``name`` is
        taken by another group: ``1`` and ``"1"`` are two groups with two names)."""
        index = self.encoder.code(key, update=True)
        if index == len(self.names):
            self.names.append(quoted if name in self.names and quoted is not None else name)
        return index

    def transform(self, n_samples, *, sensitive_features=None, groups=None):
        """Membership matrix of a chunk and the updated dictionary (``self`` is not changed).

        Returns
        -------
        member : ndarray of shape (n_samples, n_groups_after), bool
            Column ``i`` is expert ``i``'s group; groups first seen in this chunk get new columns.
        updated : GroupMembership
        """
        source = group_source(sensitive_features, groups, fitted_source=self.source,
                              fitted_columns=self.columns)
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
                    prefix = "" if single else f"{new.columns[j]}="
                    for c, value in enumerate(uniques):
                        index = new._add(("pair", j, value), prefix + str(value),
                                         prefix + _alt_name(value))
                        columns_of_groups.append((index, codes == c))
            if self.grouping == "intersections" or (self.grouping == "both" and not single):
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
