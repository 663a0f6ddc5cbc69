"""Groupwise regret accounting (docs/user_guide/regret.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array

from ..base import check_target
from ._groups import GroupMembership
from ._kernels import hindsight_sse_chunk

__all__ = ["groupwise_regret", "hindsight_loss"]

#: ``|Q z|^2 <= _NEW_DIRECTION_TOL |z|^2`` counts ``z`` as inside the span already seen.
_NEW_DIRECTION_TOL = 1e-18


def hindsight_loss(X, y, member, *, fit_intercept=True):
    """Squared error of the best fixed linear predictor on each group's first rounds.

    Exact least squares (no regularization) computed incrementally in O(p^2) per round and group
    (a numba kernel updates each group's running normal equations); rank-deficient inputs
    (fewer rows than features, duplicated or collinear columns) are handled exactly, as a
    minimum-norm ``lstsq`` would.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    member : array-like of bool, shape (n_samples, n_groups)
    fit_intercept : bool, default=True
        Add a constant column to ``X``.

    Returns
    -------
    sse : ndarray of shape (n_samples, n_groups)
        ``sse[t, g] = min_theta sum_{s <= t, s in g} (theta . z_s - y_s)^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.regret import hindsight_loss
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> hindsight_loss(X, [0.0, 1.0, 2.0, 4.0], np.ones((4, 1), bool))[:, 0].round(3)
    array([0. , 0. , 0. , 0.3])
    """
    X = check_array(X, dtype=np.float64, ensure_all_finite=True, input_name="X")
    y = check_target(y, X.shape[0], numeric=True)
    member = np.asarray(member, dtype=bool)
    if member.ndim != 2 or member.shape[0] != X.shape[0]:
        raise ValueError(f"member must have shape (n_samples, n_groups), got {member.shape}.")
    Z = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X
    Z = np.ascontiguousarray(Z)
    G, p = member.shape[1], Z.shape[1]
    Pinv = np.zeros((G, p, p))
    Q = np.repeat(np.eye(p)[None], G, axis=0)
    theta = np.zeros((G, p))
    b = np.zeros((G, p))
    sse = np.zeros(G)
    out = np.zeros((X.shape[0], G))
    hindsight_sse_chunk(Z, y, np.ascontiguousarray(member), Pinv, Q, theta, b, sse,
                        _NEW_DIRECTION_TOL, out)
    return out


def groupwise_regret(y_true, y_pred, X, *, sensitive_features=None, groups=None,
                     grouping="pairs", include_always_on=True, fit_intercept=True,
                     sample_loss=None, n_points=None):
    """Regret curve of an online learner on every group's subsequence of rounds.

    For group ``g`` after its ``T_g``-th round (global round ``t``), the regret is the learner's
    cumulative squared loss on ``g``'s rounds minus the squared error of the best fixed linear
    predictor (least squares, with intercept) fitted on those rounds in hindsight
    (docs/user_guide/regret.md). The hindsight error is computed incrementally and exactly
    (:func:`hindsight_loss`, O(d^2) per round and group), not by one solve per point.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_pred : array-like of shape (n_samples,)
        The learner's prediction for each round, made before seeing its label (e.g. from
        ``partial_fit_predict``).
    X : array-like of shape (n_samples, n_features)
        The comparator's inputs (the linear predictors compete on these features).
    sensitive_features : array-like, default=None
        Groups from every (attribute, value) pair (see ``grouping``).
    groups : array-like or DataFrame of shape (n_samples, n_groups), default=None
        Explicit boolean membership matrix instead of ``sensitive_features``.
    grouping : {"pairs", "intersections", "both"}, default="pairs"
    include_always_on : bool, default=True
        Also report the ``"always_on"`` group (every round: the ordinary external regret).
    fit_intercept : bool, default=True
        The comparator has an intercept.
    sample_loss : array-like of shape (n_samples,), default=None
        Per-round learner loss to accumulate instead of ``(y_pred - y_true)^2`` (e.g. the
        expected loss ``last_hedge_loss_`` of :class:`GroupwiseRegretRegressor`).
    n_points : int, default=None
        Keep only about ``n_points`` evenly spaced rounds of each group (always its last);
        ``None`` keeps every round.

    Returns
    -------
    curves : pandas.DataFrame
        One row per (group, kept round): ``group``, ``round`` (global 1-based index),
        ``n_group_rounds`` (``T_g``), ``learner_loss`` (cumulative), ``hindsight_loss``,
        ``regret`` and ``regret_per_round`` (``regret / T_g``).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.regret import groupwise_regret
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> curves = groupwise_regret(y, np.zeros(4), X, sensitive_features=["a", "b", "a", "b"])
    >>> curves.groupby("group")["regret"].last().to_dict()
    {'a': 4.0, 'always_on': 14.0, 'b': 10.0}
    """
    X = check_array(X, dtype=np.float64, ensure_all_finite=True, input_name="X")
    n = X.shape[0]
    y_true = check_target(y_true, n, name="y_true", numeric=True)
    y_pred = check_target(y_pred, n, name="y_pred", numeric=True)
    if sample_loss is None:
        loss = (y_pred - y_true) ** 2
    else:
        loss = check_target(sample_loss, n, name="sample_loss", numeric=True)
    if n_points is not None and (isinstance(n_points, bool) or int(n_points) != n_points
                                 or n_points < 1):
        raise ValueError(f"n_points must be a positive integer or None, got {n_points!r}.")
    membership = GroupMembership(grouping, include_always_on)
    member, membership = membership.transform(n, sensitive_features=sensitive_features,
                                              groups=groups)
    if member.shape[1] == 0:
        raise ValueError("No group: pass sensitive_features or groups, or include_always_on=True.")
    sse = hindsight_loss(X, y_true, member, fit_intercept=fit_intercept)
    cum = np.cumsum(loss[:, None] * member, axis=0)
    counts = np.cumsum(member, axis=0)
    frames = []
    for g, name in enumerate(membership.names):
        rows = np.flatnonzero(member[:, g])
        if rows.size == 0:
            continue
        if n_points is not None and rows.size > n_points:
            keep = np.unique(np.linspace(0, rows.size - 1, int(n_points)).round().astype(int))
            rows = rows[keep]
        regret = cum[rows, g] - sse[rows, g]
        frames.append(pd.DataFrame({
            "group": name, "round": rows + 1, "n_group_rounds": counts[rows, g],
            "learner_loss": cum[rows, g], "hindsight_loss": sse[rows, g], "regret": regret,
            "regret_per_round": regret / counts[rows, g],
        }))
    return pd.concat(frames, ignore_index=True)
