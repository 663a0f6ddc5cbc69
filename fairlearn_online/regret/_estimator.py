"""GroupwiseRegretRegressor (docs/user_guide/regret.md).

Its baseline, :class:`~fairlearn_online.baselines.GroupIndicatorRidgeRegressor`, is in
:mod:`fairlearn_online.baselines` and shares the group plumbing ``_GroupStreamRegressor``.

Paper: Acharya, Arunachaleswaran, Kannan, Roth, Ziani, "Oracle Efficient Algorithms for
Groupwise Regret", ICLR 2024.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone

from .._core.estimator import Chunk, ChunkDocs
from .._core.deprecation import RENAMED, keyword_only_init, renamed_attribute
from .._core.events import _FAST, _REJECTED, event_group_key
from .._core.jit import compiled_entry
from .._core.validation import (POSITIVE, HasMethods, Hidden, InvalidParameterError, StrOptions,
                                validate_params)
from ..base import StreamingEstimatorMixin, check_chunk_X, check_fitted, check_target
from ._groups import GROUPINGS, GroupMembership
from ._kernels import _hedge_probabilities, _hedge_update, anh_ridge_chunk, anh_ridge_event

__all__ = ["GroupwiseRegretRegressor"]


def _writable(a):
    """The array itself, or a copy when it is read-only (e.g. unpickled from a memmap)."""
    return a if a.flags.writeable else a.copy()


def _check_y_range(y_range):
    if y_range is None:
        return None
    try:
        lo, hi = (float(v) for v in y_range)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"y_range must be None or a pair (low, high), got {y_range!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InvalidParameterError(
            f"y_range must be two finite numbers with low < high, got {y_range!r}.")
    return lo, hi


class _GroupStreamRegressor(StreamingEstimatorMixin, RegressorMixin, BaseEstimator):
    """Shared plumbing: group membership, label range, X/y validation."""

    _include_always_on = True
    _requires_group = True

    @property
    def n_samples_seen_(self):
        """Samples learned: ``_samples_seen_[0]``, counted by the event kernels in the same
        call as the state they change (``_core/events.py``)."""
        seen = self.__dict__.get("_samples_seen_")
        if seen is None:
            raise AttributeError(f"{type(self).__name__} has no n_samples_seen_ before fit.")
        return int(seen[0])

    @n_samples_seen_.setter
    def n_samples_seen_(self, value):
        self._samples_seen_ = np.array([value], dtype=np.int64)

    def __setstate__(self, state):
        if "n_samples_seen_" in state:  # a pickle of before the counter array
            state = dict(state)
            state["_samples_seen_"] = np.array([state.pop("n_samples_seen_")], dtype=np.int64)
        super().__setstate__(state)

    def _event_writable(self, names):
        """Whether the kernel may write the arrays ``names`` in place (else: the chunk route,
        which copies a read-only state first)."""
        d = self.__dict__
        return all(d[name].flags.writeable for name in names)

    def _event_design(self, row, member):
        """The kernel's one-row input for a validated event: a preallocated buffer, rebuilt
        when the validated parameters or the number of groups change."""
        cache = self.__dict__["_event_cache_"]
        buf = cache.get("design")
        width = self._design_width(member)
        if buf is None or cache.get("design_for") is not cache["params"] \
                or buf.shape[1] != width:
            buf = cache["design"] = np.empty((1, width))
            cache["design_for"] = cache["params"]
            cache["design_tail"] = None
        self._fill_design(buf, row, member, cache)
        return buf

    #: the parameters every regressor of the groupwise-regret paper shares
    _parameter_constraints = {
        "alpha": [POSITIVE],
        "grouping": [StrOptions(set(GROUPINGS))],
        # the previous name of ``grouping`` (None meant "pairs"), kept for one release
        "groups": [None, Hidden(StrOptions({RENAMED})), StrOptions(set(GROUPINGS))],
        "fit_intercept": ["boolean"],
        "y_range": [None, tuple, list, np.ndarray],
        "clip_predictions": ["boolean"],
    }

    def _check_param_rules(self):
        _check_y_range(self.y_range)

    def _check_params(self):
        validate_params(self)
        grouping = self.grouping
        if self.groups != RENAMED:
            if not self._is_fitted():
                warnings.warn(
                    f"{type(self).__name__}(groups=...) was renamed grouping=...; pass "
                    f"grouping={self.groups or 'pairs'!r}: groups= will be removed in the next "
                    "release.", FutureWarning, stacklevel=4)
            grouping = "pairs" if self.groups is None else self.groups
        return grouping, _check_y_range(self.y_range)

    def _validate_partial_fit(self, X, y, sensitive_features, groups=None):
        reset = not self._is_fitted()
        grouping, y_range = self._check_params()
        X_arr, commit_X = check_chunk_X(self, X, reset=reset)
        y_arr = check_target(y, X_arr.shape[0], numeric=True)
        membership = (GroupMembership(grouping, self._include_always_on) if reset
                      else self.membership_)
        member, new_membership = membership.transform(
            X_arr.shape[0], sensitive_features=sensitive_features, groups=groups)
        if self._requires_group and new_membership.n_groups == 0:
            raise ValueError(
                "No group to learn: pass sensitive_features or groups, or set "
                "include_always_on=True.")

        def commit():
            commit_X()
            if reset:
                self.n_samples_seen_ = 0
                self._y_range_fixed_ = y_range is not None
                self._yrange_ = (np.array(y_range, dtype=float) if y_range is not None
                                 else np.array([np.inf, -np.inf]))
                self._init_state(X_arr.shape[1])
            self.membership_ = new_membership
            self._grow(new_membership.n_groups)

        return Chunk(X_arr, y_arr, member, commit)

    @property
    def groups_(self):
        """Names of the groups, in expert order (``"always_on"`` first when included)."""
        check_fitted(self)
        return list(self.membership_.names)

    group_names_ = renamed_attribute("group_names_", "groups_")

    def _one_row_event(self, X, sensitive_features, groups):
        """``(row, member)`` of the per-event route for one ordinary row with one group label
        (a fitted model whose parameters are the ones last validated), else ``None``."""
        if groups is None and type(X) is np.ndarray and X.ndim == 2 and X.shape[0] == 1:
            sf = _one_row_label(sensitive_features)
            if sf is not _NO_LABEL and getattr(self, "feature_names_in_", None) is None:
                row = self._event_row(X[0])
                member = None if row is None else self._event_groups(sf, learning=False)
                if member is not None:
                    return row, member
        return None

    def _predict_one_row(self, X, sensitive_features, groups):
        """``predict`` of one ordinary row through the prebuilt route, else ``None``."""
        event = self._one_row_event(X, sensitive_features, groups)
        if event is None:
            return None
        route = self.__dict__.get(_FAST)
        value = _REJECTED if route is None else route.predict(*event)
        return None if value is _REJECTED else np.array([value])

    def _predict_rows(self, X, sensitive_features, groups):
        """What ``predict`` returns: one ordinary row through the prebuilt route, else the
        validated chunk through ``_predict_member``."""
        one = self._predict_one_row(X, sensitive_features, groups)
        if one is not None:  # one ordinary row: the per-event route's prediction
            return one
        X_arr, member = self._predict_membership(X, sensitive_features, groups)
        return self._predict_member(X_arr, member)

    def _predict_membership(self, X, sensitive_features, groups):
        # one row with one group label: the per-event route (no pandas round trip; a route
        # exists only for a fitted model with the parameters last validated)
        event = self._one_row_event(X, sensitive_features, groups)
        if event is not None:
            return event[0].copy(), event[1]
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        member, _ = self.membership_.transform(
            X_arr.shape[0], sensitive_features=sensitive_features, groups=groups)
        return X_arr, member

    def _design(self, X):
        return X

    # ---- one event (fairlearn_online._core.events) --------------------------------------
    _event_predict_uses_groups = True

    def _event_target(self, y):
        cache = self.__dict__.get("_event_cache_")
        if cache is not None and type(y) is float and y - y == 0.0:  # finite: no ABC check
            buf = cache["target"]
            buf[0] = y
            return buf
        return self._event_numeric_target(y)

    def _event_groups(self, sensitive_features, *, learning):
        """The membership row of one event's group, from ``membership_``'s look-up table;
        ``None`` (the chunk route) for a group never seen or another kind of input."""
        d = self.__dict__
        if type(sensitive_features) in (str, int):
            # a plain label is a key of the rows' cache only for one attribute's labels; the
            # cache belongs to one membership (a chunk commits a new one)
            entry = d.get("_event_cache_", _NO_CACHE).get("member_rows")
            if entry is not None and entry[0] is d.get("membership_"):
                row = entry[1].get(sensitive_features)
                if row is not None:
                    return row
        m = self.membership_
        if m.source == "none" or m.source is None:
            if sensitive_features is not None:
                return None
            key = None
        elif m.source == "sensitive_features":
            if sensitive_features is None:
                return None
            if len(m.columns) == 1 and type(sensitive_features) in (str, int):
                key = sensitive_features  # what event_group_key returns for a plain label
            else:
                key = event_group_key(sensitive_features, m.columns)
                if key is None:
                    return None
        else:  # an explicit membership matrix: partial_fit's groups= argument
            return None
        cache = self._event_cache()
        entry = cache.get("member_rows")
        if entry is None or entry[0] is not m:
            entry = cache["member_rows"] = (m, {})
        rows = entry[1]
        try:
            row = rows.get(key)
        except TypeError:
            return None
        if row is not None and row.shape[1] == m.n_groups:
            return row
        row = np.zeros((1, m.n_groups), dtype=bool)
        if m.include_always_on:
            row[0, 0] = True
        if key is not None:
            values = (key,) if len(m.columns) == 1 else key
            single = len(values) == 1
            wanted = []
            if m.grouping in ("pairs", "both"):
                wanted += [("pair", j, v) for j, v in enumerate(values)]
            if m.grouping in ("intersections", "both") and not (single and m.grouping == "both"):
                wanted.append(("intersection", tuple(values)))
            for k in wanted:
                index = m._index.get(k)
                if index is None:
                    return None
                row[0, index] = True
        rows[key] = row
        return row

    def _event_predict(self, row, member):
        return self._predict_member(row, member)

    _chunk_docs = ChunkDocs(
        fit="Forget everything and learn from the rows of ``X`` in order.",
        partial_fit="Learn from one chunk of the stream, one sample at a time in row order.",
        partial_fit_predict=("Test-then-train: predict each row with the model as it was just "
                             "before learning it."),
        sensitive_features=("Every (attribute, value) pair is a group (see ``grouping`` of the "
                            "constructor)."),
        keywords={"groups": ("array-like or DataFrame of shape (n_samples, n_groups), "
                             "default=None",
                             "Explicit boolean membership matrix, instead of "
                             "``sensitive_features``.")},
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


class GroupwiseRegretRegressor(_GroupStreamRegressor):
    """Online regression with low regret on every (overlapping) group at once.

    One expert per group (an online ridge regression updated only on the rounds where its group
    is present) and AdaNormalHedge over these *sleeping* experts (docs/user_guide/regret.md;
    Acharya et al., "Oracle Efficient Algorithms for Groupwise Regret", ICLR 2024). On every
    group's own subsequence of rounds, the learner's cumulative squared loss exceeds that of the
    best fixed linear predictor on that subsequence by a regret sublinear in the group's length.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge regularization of each expert: ``theta = (alpha I + sum z z^T)^{-1} sum y z``.
    grouping : {"pairs", "intersections", "both"}, default="pairs"
        Which groups ``sensitive_features`` define: ``"pairs"``: every (attribute, value) pair
        (e.g. ``sex=Female``, ``race=Black``), as in the paper; ``"intersections"``: every row
        tuple (e.g. ``(Female, Black)``); ``"both"``: both kinds. Ignored when an explicit
        membership matrix is passed to ``fit``/``partial_fit`` (their ``groups=``); the same
        name as :func:`~fairlearn_online.regret.groupwise_regret`'s ``grouping``.
    include_always_on : bool, default=True
        Add an ``"always_on"`` group containing every sample (its expert is a plain online
        ridge on the whole stream). When ``False``, a sample that belongs to no group is
        predicted by mixing *all* experts with their current AdaNormalHedge weights, and it
        changes nothing (no expert is awake to learn from it or to be compared with).
    base_estimator : regressor with ``partial_fit``, default=None
        Expert model instead of the built-in numba online ridge: one clone per group, updated
        with ``partial_fit`` on one sample at a time (a Python loop, much slower). A clone that
        has not learned anything yet predicts 0. ``alpha`` and ``fit_intercept`` are then unused.
    fit_intercept : bool, default=True
        Append a constant 1 to the inputs of the ridge experts (its weight is regularized too).
    y_range : (float, float) or None, default=None
        Range the experts' predictions are clipped to. ``None``: the running range of the labels
        seen so far (no clipping before the first label). The squared losses given to
        AdaNormalHedge are divided by ``s = max((high - low)^2, max_i (yhat_i - y)^2)`` so that
        they lie in [0, 1] whatever the label scale; ``s = 1`` exactly for labels in
        ``y_range=(0, 1)``, which is the paper's setting.
    clip_predictions : bool, default=True
        Clip the experts' predictions to ``y_range``. ``False`` mixes their raw predictions, as
        the authors' code does (``y_range`` then only sets the loss scale; ``s`` stays 1 for
        labels in ``y_range=(0, 1)`` as long as no expert misses by more than 1).
    groups : {None, "pairs", "intersections", "both"}, default="renamed"
        Deprecated: the previous name of ``grouping`` (``None`` meant ``"pairs"``); a
        ``FutureWarning`` on the first chunk, removed in the next release.

    Attributes
    ----------
    groups_ : list of str
        Group of each expert, in order of first appearance (``"always_on"`` first).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    n_samples_seen_ : int
    regret_ : ndarray of shape (n_groups,)
        AdaNormalHedge's ``R`` per expert (cumulative scaled regret of the learner to it).
    abs_regret_ : ndarray of shape (n_groups,)
        AdaNormalHedge's ``C`` per expert (sum of ``|r|``).
    coef_ : ndarray of shape (n_groups, n_features + fit_intercept)
        Ridge weights of every expert (built-in experts only; intercept last).
    experts_ : list of estimators
        The fitted clones (only with ``base_estimator``).
    last_hedge_loss_ : ndarray of shape (n_samples_last_chunk,)
        For each row of the last chunk learned, the learner's expected squared loss
        ``sum_i p_i (yhat_i - y)^2`` over its awake experts: the loss AdaNormalHedge's guarantee
        bounds (the paper's learner loss). The loss of the mean prediction ``(yhat - y)^2`` is
        never larger (Jensen).

    Notes
    -----
    Per round, with ``G`` groups and ``p`` expert inputs, the cost is O(G_awake p^2) time and the
    state O(G p^2) memory. The loop over a chunk is one numba kernel; AdaNormalHedge's weights are
    computed in log space (no overflow however long the stream).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.regret import GroupwiseRegretRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(2000, 3))
    >>> sex = rng.choice(["F", "M"], size=2000)
    >>> y = np.where(sex == "F", X @ [1.0, 0.0, 0.0], X @ [0.0, 0.0, 1.0])
    >>> est = GroupwiseRegretRegressor().fit(X, y, sensitive_features=sex)
    >>> est.groups_
    ['always_on', 'F', 'M']
    >>> est.predict(X[:2], sensitive_features=sex[:2]).round(2)
    array([0.64, 0.91])
    """

    @keyword_only_init
    def __init__(self, *, alpha=1.0, grouping="pairs", include_always_on=True,
                 base_estimator=None, fit_intercept=True, y_range=None, clip_predictions=True,
                 groups=RENAMED):
        self.alpha = alpha
        self.grouping = grouping
        self.groups = groups
        self.include_always_on = include_always_on
        self.base_estimator = base_estimator
        self.fit_intercept = fit_intercept
        self.y_range = y_range
        self.clip_predictions = clip_predictions

    @property
    def _include_always_on(self):
        return bool(self.include_always_on)

    _parameter_constraints = {
        **_GroupStreamRegressor._parameter_constraints,
        "include_always_on": ["boolean"],
        "base_estimator": [None, HasMethods(["partial_fit", "predict"])],
    }

    # ---- state -------------------------------------------------------------------------
    def _init_state(self, n_features):
        self._p_ = n_features + int(bool(self.fit_intercept))
        self._P_ = np.zeros((0, self._p_, self._p_))
        self._theta_ = np.zeros((0, self._p_))
        self._R_ = np.zeros(0)
        self._C_ = np.zeros(0)
        if self.base_estimator is not None:
            self.experts_ = []

    def _fresh(self, n_new):
        p = self._p_
        return (np.repeat((np.eye(p) / float(self.alpha))[None], n_new, axis=0),
                np.zeros((n_new, p)), np.zeros(n_new), np.zeros(n_new))

    def _grow(self, n_groups):
        n_new = n_groups - self._R_.shape[0]
        if n_new <= 0:
            return
        P, theta, R, C = self._fresh(n_new)
        self._P_ = np.concatenate([self._P_, P])
        self._theta_ = np.concatenate([self._theta_, theta])
        self._R_ = np.concatenate([self._R_, R])
        self._C_ = np.concatenate([self._C_, C])
        if self.base_estimator is not None:
            self.experts_.extend(clone(self.base_estimator) for _ in range(n_new))

    def _design(self, X):
        if self.fit_intercept and self.base_estimator is None:
            return np.hstack([X, np.ones((X.shape[0], 1))])
        return X

    @property
    def regret_(self):
        check_fitted(self)
        return self._R_.copy()

    @property
    def abs_regret_(self):
        check_fitted(self)
        return self._C_.copy()

    @property
    def coef_(self):
        check_fitted(self)
        if self.base_estimator is not None:
            raise AttributeError("coef_ exists only for the built-in ridge experts.")
        return self._theta_.copy()

    # ---- learning ------------------------------------------------------------------------
    @property
    def _event_mutable_arrays(self):
        """What one event changes in place (``_core/events.py``): the kernel's arrays, or the
        experts (estimators) with ``base_estimator``."""
        if getattr(self, "base_estimator", None) is not None:
            return "snapshot"
        return ("_P_", "_theta_", "_R_", "_C_", "_yrange_")

    @property
    def _event_learn_atomic(self):
        """The built-in experts learn an event and count it in one kernel call."""
        return getattr(self, "base_estimator", None) is None

    def _design_width(self, member):
        return self.n_features_in_ + int(bool(self.fit_intercept))

    def _fill_design(self, buf, row, member, cache):
        d = self.n_features_in_
        buf[0, :d] = row[0]
        if buf.shape[1] > d:
            buf[0, d] = 1.0

    def _event_learn(self, row, target, member, return_predictions=False):
        """One validated event: :func:`anh_ridge_event` on one-row buffers (the state and
        ``n_samples_seen_`` in one call)."""
        if self.base_estimator is not None:
            return self._partial_fit(row, target, member, return_predictions)
        if not self._event_writable(("_P_", "_theta_", "_R_", "_C_", "_yrange_",
                                     "_samples_seen_")):
            return False
        Z = self._event_design(row, member)
        pred, hedge_loss = np.empty(1), np.empty(1)
        anh_ridge_event(Z, target, member, self._P_, self._theta_, self._R_, self._C_,
                        self._yrange_, self._y_range_fixed_, pred, hedge_loss,
                        bool(self.clip_predictions), self._samples_seen_)
        self.last_hedge_loss_ = hedge_loss  # a diagnostic: after the committed event
        return pred if return_predictions else None

    def _event_predict_value(self, row, member):
        if self.base_estimator is not None or member.shape[1] != self._R_.shape[0] or \
                not self._event_writable(("_P_", "_theta_", "_R_", "_C_", "_yrange_")):
            return float(self._predict_member(row, member)[0])
        cache = self.__dict__["_event_cache_"]
        out = cache.get("predict_out")
        if out is None:
            out = cache["predict_out"] = (np.empty(1), np.zeros(1), np.empty(1))
        pred, dummy, loss = out
        # learn=False: nothing is written (the range and the hedge state are read only)
        anh_ridge_chunk(self._event_design(row, member), dummy, member, self._P_,
                        self._theta_, self._R_, self._C_, self._yrange_, True, False, pred,
                        loss, bool(self.clip_predictions))
        return float(pred[0])

    def _event_fast_kernels(self):
        """The prebuilt route's callables (``_core/events.py``): the event kernel's compiled
        entry bound to the state's arrays and a one-row design buffer. They hold the arrays,
        so any assignment but ``last_hedge_loss_`` drops the route."""
        names = ("_P_", "_theta_", "_R_", "_C_", "_yrange_", "_samples_seen_")
        if self.base_estimator is not None:
            return super()._event_fast_kernels()
        if not self._event_writable(names):
            return None  # the chunk route copies a read-only (memory-mapped) state first
        P, theta, R, C, yrange, seen = map(self.__dict__.__getitem__, names)
        d, n_groups = self.n_features_in_, R.shape[0]
        Z = np.empty((1, self._design_width(None)))
        Z[0, d:] = 1.0  # the intercept's column, when there is one
        x = Z[0, :d]
        fixed, clip = self._y_range_fixed_, bool(self.clip_predictions)
        target = self._event_cache()["target"]
        member = np.zeros((1, n_groups), dtype=bool)
        pred, zero, loss = np.empty(1), np.zeros(1), np.empty(1)
        learn_kernel = compiled_entry(anh_ridge_event, (Z, target, member, P, theta, R, C,
                                                        yrange, fixed, pred, loss, clip, seen))
        predict_kernel = compiled_entry(anh_ridge_chunk, (Z, zero, member, P, theta, R, C,
                                                          yrange, True, False, pred, loss, clip))

        source = self._event_cache()["row"]  # the route's one-row buffer
        source_row = source[0]

        def learn(row, target, member):  # the state and n_samples_seen_ in one call
            x[:] = source_row if row is source else row[0]
            hedge_loss = np.empty(1)
            learn_kernel(Z, target, member, P, theta, R, C, yrange, fixed, pred, hedge_loss,
                         clip, seen)
            self.last_hedge_loss_ = hedge_loss  # a diagnostic, after the committed event

        def predict(row, member):  # learn=False: the range and hedge state are only read
            if member.shape[1] != n_groups:
                return _REJECTED
            x[:] = source_row if row is source else row[0]
            predict_kernel(Z, zero, member, P, theta, R, C, yrange, True, False, pred, loss,
                           clip)
            return float(pred[0])

        return learn, predict, frozenset({"last_hedge_loss_"})

    def _partial_fit(self, X, y, member, return_predictions):
        n = X.shape[0]
        pred = np.empty(n)
        hedge_loss = np.empty(n)
        Z = np.ascontiguousarray(self._design(X))
        for name in ("_P_", "_theta_", "_R_", "_C_", "_yrange_"):
            setattr(self, name, _writable(getattr(self, name)))
        if self.base_estimator is None:
            anh_ridge_chunk(Z, y, member, self._P_, self._theta_, self._R_, self._C_,
                            self._yrange_, self._y_range_fixed_, True, pred, hedge_loss,
                            bool(self.clip_predictions))
        else:
            self._python_chunk(Z, y, member, pred, hedge_loss, learn=True)
        self.n_samples_seen_ += n
        self.last_hedge_loss_ = hedge_loss
        return pred if return_predictions else None

    def _expert_prediction(self, i, z, experts=None):
        est = (experts if experts is not None else self.experts_)[i]
        if not hasattr(est, "n_features_in_") and not _has_fitted_attr(est):
            return 0.0
        return float(np.asarray(est.predict(z[None, :])).ravel()[0])

    def _python_chunk(self, Z, y, member, pred, hedge_loss, *, learn, R=None, C=None,
                      experts=None):
        """Same meta-learner as the kernel, experts are scikit-learn models (slow path)."""
        R = self._R_ if R is None else R
        C = self._C_ if C is None else C
        yrange = self._yrange_ if learn else self._yrange_.copy()
        G = member.shape[1]
        idx = np.empty(max(G, 1), dtype=np.int64)
        preds = np.empty(max(G, 1))
        probs = np.empty(max(G, 1))
        for t in range(Z.shape[0]):
            lo, hi = yrange
            awake = np.flatnonzero(member[t])
            chosen = awake if awake.size else np.arange(G)
            n_idx = chosen.size
            if n_idx == 0:
                pred[t] = float(np.clip(0.0, lo, hi)) if lo <= hi else 0.0
                hedge_loss[t] = (pred[t] - y[t]) ** 2 if learn else np.nan
                continue
            idx[:n_idx] = chosen
            for k in range(n_idx):
                v = self._expert_prediction(idx[k], Z[t], experts)
                preds[k] = min(max(v, lo), hi) if lo <= hi and self.clip_predictions else v
            _hedge_probabilities(R, C, idx, n_idx, probs)
            pred[t] = float(probs[:n_idx] @ preds[:n_idx])
            if not learn:
                continue
            yt = float(y[t])
            if not self._y_range_fixed_:
                lo, hi = (yt, yt) if lo > hi else (min(lo, yt), max(hi, yt))
                yrange[0], yrange[1] = lo, hi
            if not awake.size:
                hedge_loss[t] = float(probs[:n_idx] @ (preds[:n_idx] - yt) ** 2)
                continue
            hedge_loss[t] = _hedge_update(R, C, idx, n_idx, preds, probs, yt, lo, hi)
            for k in range(n_idx):
                self.experts_[idx[k]].partial_fit(Z[t][None, :], np.array([yt]))

    def predict(self, X, *, sensitive_features=None, groups=None):
        """Predict each row with the current model, without learning.

        A row's prediction is exactly what :meth:`partial_fit_predict` would return for it now:
        the AdaNormalHedge mixture of the experts of its groups. A group never seen before gets
        a fresh expert (prediction 0 clipped to the label range, initial weight), as it would
        when learning.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sensitive_features : array-like, default=None
            Required when the model was fitted with sensitive features.
        groups : array-like or DataFrame of shape (n_samples, n_groups), default=None
            Required when the model was fitted with a membership matrix.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return self._predict_rows(X, sensitive_features, groups)

    def _predict_member(self, X_arr, member):
        n = X_arr.shape[0]
        pred = np.empty(n)
        dummy = np.zeros(n)
        n_new = member.shape[1] - self._R_.shape[0]
        P, theta, R, C = (_writable(a) for a in (self._P_, self._theta_, self._R_, self._C_))
        if n_new > 0:
            P2, theta2, R2, C2 = self._fresh(n_new)
            P, theta = np.concatenate([P, P2]), np.concatenate([theta, theta2])
            R, C = np.concatenate([R, R2]), np.concatenate([C, C2])
        Z = np.ascontiguousarray(self._design(X_arr))
        if self.base_estimator is None:
            anh_ridge_chunk(Z, dummy, member, P, theta, R, C, self._yrange_.copy(),
                            True, False, pred, dummy.copy(), bool(self.clip_predictions))
        else:
            experts = list(self.experts_) + [clone(self.base_estimator) for _ in range(n_new)]
            self._python_chunk(Z, dummy, member, pred, dummy.copy(), learn=False,
                               R=R.copy(), C=C.copy(), experts=experts)
        return pred


_NO_LABEL = object()
_NO_CACHE = {}


def _one_row_label(sensitive_features):
    """The one group label (or tuple) of a one-row ``sensitive_features``, else ``_NO_LABEL``."""
    if sensitive_features is None:
        return None
    if isinstance(sensitive_features, np.ndarray):
        if sensitive_features.shape == (1,):
            return sensitive_features[0]
        if sensitive_features.ndim == 2 and sensitive_features.shape[0] == 1:
            return tuple(sensitive_features[0])
    elif isinstance(sensitive_features, list) and len(sensitive_features) == 1 \
            and not isinstance(sensitive_features[0], (list, tuple, np.ndarray)):
        return sensitive_features[0]
    return _NO_LABEL


def _has_fitted_attr(est):
    return any(k.endswith("_") and not k.startswith("__") for k in vars(est))
