"""GroupIndicatorRidgeRegressor: the baseline of the groupwise-regret paper
(docs/user_guide/regret.md).

Paper: Acharya, Arunachaleswaran, Kannan, Roth, Ziani, "Oracle Efficient Algorithms for
Groupwise Regret", ICLR 2024. Its groups are built by the plumbing of
:class:`~fairlearn_online.regret.GroupwiseRegretRegressor`.
"""

from __future__ import annotations

import numpy as np

from .._core.deprecation import RENAMED, keyword_only_init
from .._core.events import _REJECTED
from .._core.jit import compiled_entry
from ..base import check_fitted
from ..regret._estimator import _GroupStreamRegressor, _writable
from ..regret._kernels import ridge_chunk, ridge_event, ridge_predict

__all__ = ["GroupIndicatorRidgeRegressor"]


class GroupIndicatorRidgeRegressor(_GroupStreamRegressor):
    """Baseline of the paper: one online ridge on ``[x, group indicators]``.

    See ``docs/user_guide/regret.md`` ("Algorithm").

    The groups are built exactly as in
    :class:`~fairlearn_online.regret.GroupwiseRegretRegressor` (without the ``always_on`` group,
    which ``fit_intercept`` replaces); a group first seen mid-stream adds an input column whose
    past values were all 0, so the ridge state is extended exactly (a new diagonal ``1 / alpha``
    block).

    Parameters
    ----------
    alpha : float, default=1.0
    grouping : {"pairs", "intersections", "both"}, default="pairs"
        Which groups ``sensitive_features`` define, as in
        :class:`~fairlearn_online.regret.GroupwiseRegretRegressor`.
    fit_intercept : bool, default=True
    y_range : (float, float) or None, default=None
        Predictions are clipped to it (``None``: the running range of the labels).
    clip_predictions : bool, default=True
        ``False``: raw predictions (the authors' baseline).
    groups : {None, "pairs", "intersections", "both"}, default="renamed"
        Deprecated: the previous name of ``grouping`` (``None`` meant ``"pairs"``).

    Attributes
    ----------
    groups_ : list of str
        Names of the groups of the indicators, in the order of ``coef_``.
    coef_ : ndarray of shape (n_features + fit_intercept + n_groups,)
        Weights of ``[x, 1, indicators]``.
    n_features_in_ : int
    n_samples_seen_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.baselines import GroupIndicatorRidgeRegressor
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> est = GroupIndicatorRidgeRegressor().fit(X, [0.0, 1.0, 2.0, 3.0],
    ...                                          sensitive_features=["a", "b", "a", "b"])
    >>> est.groups_, est.coef_.shape
    (['a', 'b'], (5,))
    """

    _include_always_on = False
    _requires_group = False

    @keyword_only_init
    def __init__(self, *, alpha=1.0, grouping="pairs", fit_intercept=True, y_range=None,
                 clip_predictions=True, groups=RENAMED):
        self.alpha = alpha
        self.grouping = grouping
        self.groups = groups
        self.fit_intercept = fit_intercept
        self.y_range = y_range
        self.clip_predictions = clip_predictions

    def _init_state(self, n_features):
        self._base_p_ = n_features + int(bool(self.fit_intercept))
        self._P_ = np.eye(self._base_p_) / float(self.alpha)
        self._theta_ = np.zeros(self._base_p_)

    def _grow(self, n_groups):
        p_old = self._theta_.shape[0]
        p_new = self._base_p_ + n_groups
        if p_new <= p_old:
            return
        P = np.eye(p_new) / float(self.alpha)
        P[:p_old, :p_old] = self._P_
        self._P_ = P
        self._theta_ = np.concatenate([self._theta_, np.zeros(p_new - p_old)])

    def _design(self, X, member):
        parts = [X]
        if self.fit_intercept:
            parts.append(np.ones((X.shape[0], 1)))
        parts.append(member.astype(np.float64))
        return np.ascontiguousarray(np.hstack(parts))

    @property
    def coef_(self):
        check_fitted(self)
        return self._theta_.copy()

    #: one kernel call learns an event and counts it (``_core/events.py``)
    _event_learn_atomic = True

    def _design_width(self, member):
        return self._base_p_ + member.shape[1]

    def _fill_design(self, buf, row, member, cache):
        d = self.n_features_in_
        buf[0, :d] = row[0]
        if self._base_p_ > d:
            buf[0, d] = 1.0
        if cache["design_tail"] is not member:  # the group's indicators, as _design's
            buf[0, self._base_p_:] = member[0]
            cache["design_tail"] = member

    def _event_learn(self, row, target, member, return_predictions=False):
        """One validated event: :func:`ridge_event` on a one-row design buffer (the state and
        ``n_samples_seen_`` in one call)."""
        if not self._event_writable(("_P_", "_theta_", "_yrange_", "_samples_seen_")):
            return False
        pred = np.empty(1)
        ridge_event(self._event_design(row, member), target, self._P_, self._theta_,
                    self._yrange_, self._y_range_fixed_, pred, bool(self.clip_predictions),
                    self._samples_seen_)
        return pred if return_predictions else None

    def _event_fast_kernels(self):
        """The prebuilt route's callables (``_core/events.py``): the event kernel's compiled
        entry bound to the state's arrays and a one-row design buffer ``[x, 1, indicators]``.
        They hold the arrays, so any assignment drops the route."""
        names = ("_P_", "_theta_", "_yrange_", "_samples_seen_")
        if not self._event_writable(names):
            return None  # the chunk route copies a read-only (memory-mapped) state first
        P, theta, yrange, seen = map(self.__dict__.__getitem__, names)
        d, base, n_groups = self.n_features_in_, self._base_p_, self.membership_.n_groups
        if theta.shape[0] != base + n_groups:
            return None
        Z = np.empty((1, base + n_groups))
        Z[0, d:base] = 1.0  # the intercept's column, when there is one
        x, indicators = Z[0, :d], Z[0, base:]
        filled = [None]  # the membership row whose indicators Z holds
        fixed, clip = self._y_range_fixed_, bool(self.clip_predictions)
        target = self._event_cache()["target"]
        pred, raw = np.empty(1), np.empty(1)
        kernel = compiled_entry(ridge_event, (Z, target, P, theta, yrange, fixed, pred, clip,
                                              seen))
        predict_kernel = compiled_entry(ridge_predict, (Z, theta, yrange, clip, raw))

        source = self._event_cache()["row"]  # the route's one-row buffer
        source_row = source[0]

        def design(row, member):
            x[:] = source_row if row is source else row[0]
            if filled[0] is not member:
                indicators[:] = member[0]
                filled[0] = member

        def learn(row, target, member):  # the state and n_samples_seen_ in one call
            design(row, member)
            kernel(Z, target, P, theta, yrange, fixed, pred, clip, seen)

        def predict(row, member):  # _predict_member's kernel
            if member.shape[1] != n_groups:
                return _REJECTED
            design(row, member)
            predict_kernel(Z, theta, yrange, clip, raw)
            return float(raw[0])

        return learn, predict, frozenset()

    def _event_predict_value(self, row, member):
        if member.shape[1] != self.membership_.n_groups:
            return float(self._predict_member(row, member)[0])
        cache = self.__dict__["_event_cache_"]
        raw = cache.get("predict_out")
        if raw is None:
            raw = cache["predict_out"] = np.empty(1)
        ridge_predict(self._event_design(row, member), self._theta_, self._yrange_,
                      bool(self.clip_predictions), raw)
        return float(raw[0])

    def _partial_fit(self, X, y, member, return_predictions):
        pred = np.empty(X.shape[0])
        for name in ("_P_", "_theta_", "_yrange_"):
            setattr(self, name, _writable(getattr(self, name)))
        ridge_chunk(self._design(X, member), y, self._P_, self._theta_, self._yrange_,
                    self._y_range_fixed_, pred, bool(self.clip_predictions))
        self.n_samples_seen_ += X.shape[0]
        return pred if return_predictions else None

    def predict(self, X, *, sensitive_features=None, groups=None):
        """Predict each row with the current ridge (groups never seen have weight 0).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sensitive_features, groups : as in :meth:`fit`

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Clipped to the label range (``y_range``, else the labels seen) when
            ``clip_predictions``.
        """
        return self._predict_rows(X, sensitive_features, groups)

    def _predict_member(self, X_arr, member):
        Z = self._design(X_arr, member[:, : self.membership_.n_groups])
        out = np.empty(Z.shape[0])
        ridge_predict(Z, self._theta_, self._yrange_, bool(self.clip_predictions), out)
        return out

