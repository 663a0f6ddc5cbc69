"""Streaming multiwinner selection with group constraints (docs/user_guide/selection.md)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._core.deprecation import keyword_only_init
from .._core.groups import encode_groups
from .._core.state import atomic_fit, forget
from .._core.validation import POSITIVE, POSITIVE_INT, StrOptions, validate_params
from ..base import check_frozen_params, record_frozen_params
from ._kernels import accumulate_position_counts, owa_scores
from ._rankings import check_rankings
from ._rules import RULES, OWARule, check_committee, get_rule
from ._solvers import (Constraints, Profile, check_feasible, milp_size, solve_brute_force,
                       solve_greedy, solve_milp, solve_separable)

__all__ = ["MultiwinnerSelector"]

_SOLVERS = ("auto", "exact", "milp", "greedy", "brute_force")

#: ``solver="auto"`` uses the MILP for a non-separable rule while it has at most this many
#: variables (``m + levels * n_distinct_rankings * m``), the greedy + swap solver beyond.
AUTO_MILP_MAX_VARIABLES = 60_000
#: Seconds HiGHS gets under ``solver="auto"`` when ``time_limit`` is None; if the MILP is not
#: proven optimal by then, the better of its incumbent and the greedy + swap committee is returned.
AUTO_MILP_TIME_LIMIT = 60.0


class MultiwinnerSelector(BaseEstimator):
    """Select k items from a stream of rankings with an OWA committee scoring rule.

    The rankings arrive in chunks; ``partial_fit`` keeps the sufficient statistic of the rule and
    ``select`` returns the committee maximising the rule, optionally under group bounds on the
    number of selected items of each item group (docs/user_guide/selection.md).

    What is kept: for a separable rule (SNTV, Bloc, k-Borda, any constant-weight OWA rule) the
    m x m position-count matrix ``position_counts_[i, p]`` = number of voters that put item i at
    position p: memory O(m^2), independent of the number of rankings. For the other rules the
    score of a committee depends on the joint positions within each ranking, so the rankings
    themselves are kept (``ranking_chunks_``, as int32); ``select`` merges identical rankings
    into one weighted voter before solving.

    Parameters
    ----------
    k : int, default=10
        Committee size, ``1 <= k <= m``.
    rule : str or OWARule, default="k_borda"
        Committee scoring rule: one of "sntv", "bloc", "k_borda", "chamberlin_courant",
        "harmonic", or an :class:`OWARule`.
    constraints : dict, "proportional" or None, default=None
        ``{group label: (lower, upper)}`` bounds on ``|S ∩ G_g|`` (``upper=None`` for no cap;
        groups not listed are unconstrained), or ``"proportional"``: ``lower = floor(k |G_g| / m)``
        and ``upper = ceil(k |G_g| / m)``, which is always feasible. Needs ``item_groups``.
    solver : {"auto", "exact", "milp", "greedy", "brute_force"}, default="auto"
        ``"exact"``: the O(m log m) algorithm for separable rules, the MILP otherwise;
        ``"milp"``: cvxpy + HiGHS for every rule; ``"greedy"``: greedy + swap local search;
        ``"brute_force"``: enumeration (small instances). ``"auto"``: exact for separable rules;
        else, while the MILP has at most ``AUTO_MILP_MAX_VARIABLES`` = 60,000 variables, greedy
        + swaps and then the MILP limited to ``time_limit`` (default ``AUTO_MILP_TIME_LIMIT`` =
        60 s), keeping the better committee; greedy + swaps alone beyond.
    time_limit : float or None, default=None
        Wall-clock limit in seconds handed to HiGHS; if it is hit the best committee found is
        returned and ``select(return_info=True)`` reports ``optimal=False``.

    Attributes
    ----------
    n_features_in_ : int
        Number of items m (columns of the rankings).
    n_rankings_ : int
        Rankings seen so far.
    rule_ : OWARule
        The resolved rule.
    beta_, owa_weights_ : ndarray
        Positional scores (length m) and OWA weights (length k).
    separable_ : bool
        Whether the rule is separable (then only ``position_counts_`` is kept).
    position_counts_ : ndarray of shape (m, m)
        Present for separable rules.
    ranking_chunks_ : list of ndarray
        Present for non-separable rules.
    item_groups_ : ndarray of shape (m,)
        Group code of every item (``groups_[code]`` is its label); present once ``item_groups``
        was given.
    groups_ : list
        Group labels.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.selection import MultiwinnerSelector
    >>> rankings = np.array([[0, 1, 2, 3], [0, 2, 1, 3], [1, 0, 3, 2]])
    >>> sel = MultiwinnerSelector(k=2, rule="k_borda").fit(rankings)
    >>> sel.select().tolist()
    [0, 1]
    >>> fair = MultiwinnerSelector(k=2, constraints={"b": (1, 1)})
    >>> fair.fit(rankings, item_groups=["a", "a", "b", "b"]).select().tolist()
    [0, 2]
    >>> float(fair.score([0, 2]))
    11.0
    """

    #: may change between chunks (``docs/user_guide/protocol.md``); ``k`` and ``rule`` are frozen
    #: by the first ``partial_fit`` (they fix ``beta_``, ``owa_weights_`` and what is kept)
    _mutable_params = ("constraints", "solver", "time_limit")

    @keyword_only_init
    def __init__(self, *, k=10, rule="k_borda", constraints=None, solver="auto", time_limit=None):
        self.k = k
        self.rule = rule
        self.constraints = constraints
        self.solver = solver
        self.time_limit = time_limit

    # ----------------------------------------------------------------------------------------
    # validation (no side effects)
    # ----------------------------------------------------------------------------------------
    _parameter_constraints = {
        "k": [POSITIVE_INT],  # and k <= m, the number of items: checked with the data
        "rule": [StrOptions(set(RULES)), OWARule],
        "constraints": [None, StrOptions({"proportional"}), dict],  # dict: {group: (lo, up)}
        "solver": [StrOptions(set(_SOLVERS))],
        "time_limit": [None, POSITIVE],
    }

    def _check_params(self, m):
        k = self.k
        if not k <= m:
            raise ValueError(f"k must satisfy 1 <= k <= m = {m} (number of items); got {k}.")
        rule = get_rule(self.rule)
        beta, lam = rule.resolve(m, int(k))
        return rule, beta, lam

    def _build_constraints(self, codes, labels, m):
        """Constraints object from the ``constraints`` parameter and the item groups."""
        c = self.constraints
        if c is None:
            return None
        k = int(self.k)
        n_groups = len(labels)
        sizes = np.bincount(codes, minlength=n_groups)
        if isinstance(c, str):  # "proportional"
            share = k * sizes / m
            lower = np.floor(share + 1e-9).astype(np.int64)
            upper = np.ceil(share - 1e-9).astype(np.int64)
        else:
            lower = np.zeros(n_groups, dtype=np.int64)
            upper = np.full(n_groups, k, dtype=np.int64)
            index = {label: g for g, label in enumerate(labels)}
            for label, bounds in c.items():
                key = label.item() if isinstance(label, np.generic) else label
                if key not in index:
                    raise ValueError(f"constraints mention group {label!r}, which no item has; "
                                     f"item groups are {labels}.")
                try:
                    lo, hi = bounds
                except (TypeError, ValueError):
                    raise ValueError(f"constraints[{label!r}] must be a pair (lower, upper); "
                                     f"got {bounds!r}.") from None
                hi = k if hi is None else hi
                for name, value in (("lower", lo), ("upper", hi)):
                    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
                            or value < 0:
                        raise ValueError(f"constraints[{label!r}] {name} bound must be a "
                                         f"non-negative integer; got {value!r}.")
                if lo > hi:
                    raise ValueError(f"constraints[{label!r}]: lower {lo} > upper {hi}.")
                lower[index[key]], upper[index[key]] = lo, min(hi, k)
        cons = Constraints(codes=codes, lower=lower, upper=upper, labels=list(labels))
        check_feasible(k, cons)
        return cons

    def _validate_chunk(self, rankings, item_groups):
        validate_params(self)  # before the chunk, as every estimator does
        fitted = hasattr(self, "n_features_in_")
        arr = check_rankings(rankings, allow_empty=fitted)
        m = arr.shape[1]
        if fitted and m != self.n_features_in_:
            raise ValueError(f"rankings have {m} items but the selector was fitted with "
                             f"{self.n_features_in_}; every chunk must rank the same m items.")
        rule, beta, lam = self._check_params(m)
        codes = getattr(self, "item_groups_", None)
        labels = getattr(self, "groups_", None)
        if item_groups is not None:
            new_codes, new_labels = encode_groups(item_groups, m, name="item_groups")
            if codes is not None and (new_labels != labels or not np.array_equal(new_codes, codes)):
                raise ValueError("item_groups differ from those given earlier; the items' groups "
                                 "are fixed for the whole stream.")
            codes, labels = new_codes, new_labels
        if self.constraints is not None and codes is None:
            raise ValueError("constraints need item_groups (the group of each of the m items).")
        if codes is not None:
            self._build_constraints(codes, labels, m)
        return arr, rule, beta, lam, codes, labels

    # ----------------------------------------------------------------------------------------
    # learning
    # ----------------------------------------------------------------------------------------
    def _reset(self):
        forget(self)

    @atomic_fit
    def fit(self, rankings, y=None, *, item_groups=None):
        """Forget everything, then learn from ``rankings``.

        Parameters
        ----------
        rankings : array-like of int, shape (n_rankings, m)
            Row v lists the item indices voter v ranks, best first (a permutation of 0..m-1).
        y : None
            Ignored (scikit-learn convention).
        item_groups : array-like of shape (m,) or (m, n_attributes), optional
            Group label of every item (several columns = intersectional groups). Required when
            ``constraints`` is set.

        Returns
        -------
        self : MultiwinnerSelector
        """
        self._reset()
        return self.partial_fit(rankings, item_groups=item_groups)

    def partial_fit(self, rankings, y=None, *, item_groups=None):
        """Add a chunk of rankings. A rejected chunk leaves the selector unchanged.

        An empty chunk is a no-op once fitted (an error on the first call). ``item_groups`` may
        be given at any call but must then agree with earlier calls.

        Returns
        -------
        self : MultiwinnerSelector
        """
        fitted = hasattr(self, "n_features_in_")
        arr, rule, beta, lam, codes, labels = self._validate_chunk(rankings, item_groups)
        if fitted:
            check_frozen_params(self)
        m = arr.shape[1]
        # ---- commit: everything below succeeds once validation passed ----
        if not fitted:
            record_frozen_params(self)
            self.n_features_in_ = m
            self.n_rankings_ = 0
            self.rule_ = rule
            self.beta_, self.owa_weights_ = beta, lam
            self.separable_ = bool(np.all(lam == lam[0]))
            if self.separable_:
                self.position_counts_ = np.zeros((m, m), dtype=np.int64)
            else:
                self.ranking_chunks_ = []
        if codes is not None:
            self.item_groups_, self.groups_ = codes, list(labels)
        if arr.shape[0]:
            if self.separable_:
                accumulate_position_counts(arr, self.position_counts_)
            else:
                self.ranking_chunks_.append(arr.astype(np.int32))
            self.n_rankings_ += int(arr.shape[0])
        return self

    # ----------------------------------------------------------------------------------------
    # selection
    # ----------------------------------------------------------------------------------------
    def _profile(self):
        check_is_fitted(self, "n_features_in_")
        check_frozen_params(self)
        m, k = self.n_features_in_, int(self.k)
        if self.separable_:
            scores = self.position_counts_ @ self.beta_
            return Profile(m, k, self.beta_, self.owa_weights_, item_scores=scores)
        stacked = np.concatenate(self.ranking_chunks_, axis=0)
        distinct, weights = np.unique(stacked, axis=0, return_counts=True)
        return Profile(m, k, self.beta_, self.owa_weights_,
                       rankings=np.ascontiguousarray(distinct, dtype=np.int64),
                       weights=weights.astype(np.float64))

    def _constraints(self):
        if self.constraints is None:
            return None
        return self._build_constraints(self.item_groups_, self.groups_, self.n_features_in_)

    def select(self, *, return_info=False):
        """The committee maximising the rule under the constraints.

        Parameters
        ----------
        return_info : bool, default=False
            Also return a dict with the solver used, the objective value (``value``), the wall
            time and, for the MILP, its status and ``optimal``; for greedy, ``upper_bound`` on
            the optimum and ``gap_bound`` (relative) when the rule is separable or monotone
            submodular.

        Returns
        -------
        committee : ndarray of shape (k,)
            Sorted item indices.
        info : dict
            Only when ``return_info=True``.
        """
        profile = self._profile()
        cons = self._constraints()
        solver = self.solver
        if solver == "auto":
            if profile.separable:
                solver = "exact"
            elif milp_size(profile) <= AUTO_MILP_MAX_VARIABLES:
                solver = "auto_milp"
            else:
                solver = "greedy"
        if solver == "exact":
            solver = "separable" if profile.separable else "milp"
        if solver == "auto_milp":
            # greedy first (cheap), then the MILP under a time limit; keep the better committee
            g_committee, _ = solve_greedy(profile, cons)
            limit = AUTO_MILP_TIME_LIMIT if self.time_limit is None else self.time_limit
            committee, info = solve_milp(profile, cons, time_limit=limit)
            if not info["optimal"] and profile.value(g_committee) > profile.value(committee):
                committee = g_committee
                info = dict(info, solver="greedy (MILP hit its time limit)")
        elif solver == "separable":
            committee, info = solve_separable(profile, cons), {"solver": "separable",
                                                                "optimal": True}
        elif solver == "milp":
            committee, info = solve_milp(profile, cons, time_limit=self.time_limit)
        elif solver == "greedy":
            committee, info = solve_greedy(profile, cons)
        else:
            committee, info = solve_brute_force(profile, cons)
            info["optimal"] = True
        if return_info:
            info["value"] = profile.value(committee)
            return committee, info
        return committee

    def score(self, committee):
        """Rule value ``f(committee)`` on all rankings seen so far.

        Parameters
        ----------
        committee : array-like of int
            Item indices (any size from 1 to k; a smaller set uses the first OWA weights).

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "n_features_in_")
        check_frozen_params(self)
        m = self.n_features_in_
        committee = check_committee(committee, m)
        if len(committee) > len(self.owa_weights_):
            raise ValueError(f"committee has {len(committee)} items; the selector's k is "
                             f"{len(self.owa_weights_)}.")
        if self.separable_:
            scores = self.position_counts_[committee] @ self.beta_
            return float(self.owa_weights_[0] * scores.sum())
        mask = np.zeros(m, dtype=np.bool_)
        mask[committee] = True
        return float(sum(owa_scores(c, np.ones(c.shape[0]), mask, self.beta_,
                                    self.owa_weights_).sum() for c in self.ranking_chunks_))
