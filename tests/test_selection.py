"""MultiwinnerSelector, OWA rules, constraints and solvers (docs/user_guide/selection.md)."""

import itertools
import pickle

import numpy as np
import pytest
from sklearn.base import clone

import fairlearn_online
from fairlearn_online.selection import RULES, MultiwinnerSelector, OWARule
from fairlearn_online.selection._solvers import Constraints, Profile, solve_greedy, solve_milp


def _rankings(rng, n, m):
    return np.argsort(rng.random((n, m)), axis=1).astype(np.int64)


def _ref_score(rankings, committee, beta, lam):
    pos = np.argsort(rankings, axis=1)
    member_pos = np.sort(pos[:, committee], axis=1)
    return float((lam[None, :len(committee)] * beta[member_pos]).sum())


def _ref_optimum(rankings, k, beta, lam, groups=None, lower=None, upper=None):
    best = -np.inf
    for combo in itertools.combinations(range(rankings.shape[1]), k):
        c = np.array(combo)
        if groups is not None:
            counts = np.bincount(groups[c], minlength=len(lower))
            if np.any(counts < lower) or np.any(counts > upper):
                continue
        best = max(best, _ref_score(rankings, c, beta, lam))
    return best


def _random_instance(rng, m_max=12):
    m = int(rng.integers(4, m_max + 1))
    k = int(rng.integers(1, min(m, 6) + 1))
    n = int(rng.integers(1, 7))
    R = _rankings(rng, n, m)
    kind = rng.integers(4)
    if kind == 0:
        rule = RULES[rng.choice(sorted(RULES))]
    elif kind == 1:  # random non-increasing OWA (submodular family)
        rule = OWARule(np.sort(rng.integers(0, 6, m))[::-1].astype(float),
                       np.sort(rng.random(k))[::-1])
    else:  # general OWA: any sign, any order
        rule = OWARule(np.sort(rng.normal(size=m))[::-1], rng.normal(size=k))
    groups = np.r_[0, 1, 2, rng.integers(0, 3, m - 3)]
    sizes = np.bincount(groups, minlength=3)
    constraints = {}
    for g in range(3):  # random bounds, kept feasible by construction below
        lo = int(rng.integers(0, min(sizes[g], k) + 1))
        hi = int(rng.integers(lo, k + 1))
        constraints[g] = (lo, hi)
    lows = sum(v[0] for v in constraints.values())
    caps = sum(min(v[1], sizes[g]) for g, v in constraints.items())
    if lows > k or caps < k:
        constraints = {g: (0, k) for g in range(3)}
    return R, k, rule, groups, constraints


@pytest.mark.parametrize("seed", range(24))
def test_milp_equals_brute_force(seed):
    """Target: the exact MILP optimum equals enumeration on every instance with m <= 12."""
    rng = np.random.default_rng(seed)
    R, k, rule, groups, constraints = _random_instance(rng)
    m = R.shape[1]
    beta, lam = rule.resolve(m, k)
    lower = np.array([constraints[g][0] for g in range(3)])
    upper = np.array([constraints[g][1] for g in range(3)])
    ref = _ref_optimum(R, k, beta, lam, groups, lower, upper)
    for solver in ("milp", "brute_force", "exact"):
        sel = MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver=solver)
        committee, info = sel.fit(R, item_groups=groups).select(return_info=True)
        assert len(committee) == k and np.all(np.diff(committee) > 0)
        counts = np.bincount(groups[committee], minlength=3)
        assert np.all(counts >= lower) and np.all(counts <= upper)
        assert info["value"] == pytest.approx(ref, rel=1e-9, abs=1e-9), solver
        assert sel.score(committee) == pytest.approx(_ref_score(R, committee, beta, lam))
    # unconstrained too
    sel = MultiwinnerSelector(k=k, rule=rule, solver="milp").fit(R)
    assert sel.score(sel.select()) == pytest.approx(_ref_optimum(R, k, beta, lam), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_assignment_formulation_equals_brute_force(seed):
    """The sorted-position assignment MILP (general lambda) agrees with enumeration too."""
    rng = np.random.default_rng(500 + seed)
    m, k, n = int(rng.integers(4, 8)), int(rng.integers(2, 4)), int(rng.integers(1, 4))
    R = _rankings(rng, n, m)
    beta, lam = np.sort(rng.normal(size=m))[::-1], rng.normal(size=k)
    profile = Profile(m, k, beta, lam, rankings=R, weights=np.ones(n))
    committee, info = solve_milp(profile, formulation="assignment")
    assert info["optimal"]
    assert profile.value(committee) == pytest.approx(_ref_optimum(R, k, beta, lam), abs=1e-9)


@pytest.mark.parametrize("seed", range(40))
def test_separable_exact_equals_brute_force(seed):
    rng = np.random.default_rng(1000 + seed)
    R, k, _, groups, constraints = _random_instance(rng)
    m = R.shape[1]
    rule = RULES[("sntv", "bloc", "k_borda")[seed % 3]]
    beta, lam = rule.resolve(m, k)
    lower = np.array([constraints[g][0] for g in range(3)])
    upper = np.array([constraints[g][1] for g in range(3)])
    sel = MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver="exact")
    committee, info = sel.fit(R, item_groups=groups).select(return_info=True)
    assert info["solver"] == "separable"
    assert info["value"] == pytest.approx(_ref_optimum(R, k, beta, lam, groups, lower, upper))


@pytest.mark.parametrize("seed", range(10))
def test_greedy_is_feasible_and_a_swap_local_optimum(seed):
    rng = np.random.default_rng(2000 + seed)
    R, k, _, groups, constraints = _random_instance(rng)
    rule = RULES[("chamberlin_courant", "harmonic")[seed % 2]]
    sel = MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver="greedy")
    committee, info = sel.fit(R, item_groups=groups).select(return_info=True)
    opt = MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver="brute_force")
    best = opt.fit(R, item_groups=groups).select(return_info=True)[1]["value"]
    assert info["value"] <= best + 1e-9
    assert info["value"] >= info["greedy_value"] - 1e-9
    lower = np.array([constraints[g][0] for g in range(3)])
    upper = np.array([constraints[g][1] for g in range(3)])
    counts = np.bincount(groups[committee], minlength=3)
    assert np.all(counts >= lower) and np.all(counts <= upper)
    # no feasible single swap improves the committee
    for o in committee:
        for i in np.setdiff1d(np.arange(R.shape[1]), committee):
            c = np.sort(np.append(committee[committee != o], i))
            cnt = np.bincount(groups[c], minlength=3)
            if np.all(cnt >= lower) and np.all(cnt <= upper):
                assert sel.score(c) <= info["value"] + 1e-9


def test_greedy_without_constraints_on_submodular_rule_meets_1_minus_1_over_e():
    rng = np.random.default_rng(7)
    R = _rankings(rng, 6, 11)
    beta, lam = RULES["chamberlin_courant"].resolve(11, 4)
    profile = Profile(11, 4, beta, lam, rankings=R, weights=np.ones(6))
    committee, info = solve_greedy(profile, local_search=False)
    assert info["greedy_value"] >= (1 - 1 / np.e) * _ref_optimum(R, 4, beta, lam) - 1e-9


# --------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------
def test_named_rules_properties():
    expect = {"sntv": (True, True), "bloc": (True, True), "k_borda": (True, True),
              "chamberlin_courant": (False, True), "harmonic": (False, True)}
    for name, (sep, sub) in expect.items():
        props = RULES[name].properties(8, 3)
        assert (props["separable"], props["monotone_submodular"]) == (sep, sub), name
    assert OWARule("borda", [0.0, 1.0]).properties(5, 2) == {"separable": False,
                                                            "monotone_submodular": False}


def test_named_rule_values():
    R = np.array([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
    S = [1, 4]
    assert OWARule("plurality", "ones").score(R, S) == 1.0  # voter 2 ranks 4 first
    assert RULES["bloc"].score(R, S) == 2.0  # top-2 approvals: 1 (voter 1), 4 (voter 2)
    assert RULES["k_borda"].score(R, S) == (3 + 0) + (1 + 4)
    assert RULES["chamberlin_courant"].score(R, S) == 3 + 4
    assert RULES["harmonic"].score(R, S) == (3 + 0 / 2) + (4 + 1 / 2)


@pytest.mark.parametrize("name", ["chamberlin_courant", "harmonic"])
def test_submodular_rules_have_diminishing_returns(name):
    rng = np.random.default_rng(3)
    m, k = 9, 5
    R = _rankings(rng, 12, m)
    beta, lam = RULES[name].resolve(m, k)
    for _ in range(30):
        B = rng.choice(m, size=4, replace=False)
        A = B[:2]
        i = int(rng.choice(np.setdiff1d(np.arange(m), B)))
        gain_A = _ref_score(R, np.append(A, i), beta, lam) - _ref_score(R, A, beta, lam)
        gain_B = _ref_score(R, np.append(B, i), beta, lam) - _ref_score(R, B, beta, lam)
        assert gain_A >= gain_B - 1e-12
        assert gain_B >= 0


def test_rule_validation():
    with pytest.raises(ValueError, match="non-increasing"):
        OWARule([0.0, 1.0, 2.0], "ones").resolve(3, 1)
    with pytest.raises(ValueError, match="length m"):
        OWARule([2.0, 1.0], "ones").resolve(3, 1)
    with pytest.raises(ValueError, match="length k"):
        OWARule("borda", [1.0, 1.0]).resolve(3, 1)
    with pytest.raises(ValueError, match="NaN"):
        OWARule("borda", [np.nan]).resolve(3, 1)
    with pytest.raises(ValueError, match="beta must be one of"):
        OWARule("copeland", "ones").resolve(3, 1)
    with pytest.raises(ValueError, match="weights must be one of"):
        OWARule("borda", "median").resolve(3, 1)
    with pytest.raises(ValueError, match="rule must be one of"):
        MultiwinnerSelector(k=1, rule="stv").fit(np.array([[0, 1]]))
    callable_rule = OWARule(lambda m, k: np.arange(m)[::-1] ** 2.0, lambda k: np.ones(k))
    beta, lam = callable_rule.resolve(3, 2)
    assert beta.tolist() == [4.0, 1.0, 0.0] and lam.tolist() == [1.0, 1.0]
    assert OWARule("borda", "first") == RULES["chamberlin_courant"]
    assert OWARule([2.0, 1.0], [1.0]) == OWARule(np.array([2.0, 1.0]), [1.0])


# --------------------------------------------------------------------------------------------
# constraints
# --------------------------------------------------------------------------------------------
def test_proportional_bounds_round_floor_and_ceil():
    rng = np.random.default_rng(0)
    R = _rankings(rng, 5, 10)
    groups = np.array(["a"] * 7 + ["b"] * 3)
    sel = MultiwinnerSelector(k=4, constraints="proportional").fit(R, item_groups=groups)
    cons = sel._constraints()
    # shares 4 * 7/10 = 2.8 and 4 * 3/10 = 1.2
    assert cons.lower.tolist() == [2, 1] and cons.upper.tolist() == [3, 2]
    c = sel.select()
    assert 1 <= np.isin(c, np.flatnonzero(groups == "b")).sum() <= 2


@pytest.mark.parametrize("constraints, match", [
    ({"a": (3, 3), "b": (2, 2)}, "lower bounds sum to 5"),
    ({"b": (4, 4)}, "needs at least 4 members but has 3"),
    ({"a": (0, 0), "b": (0, 2)}, "at most 2 items"),
    ({"c": (0, 1)}, "which no item has"),
    ({"a": (2, 1)}, "lower 2 > upper 1"),
    ({"a": (-1, 2)}, "non-negative integer"),
    ({"a": 3}, "must be a pair"),
])
def test_infeasible_or_malformed_constraints(constraints, match):
    R = np.array([[0, 1, 2, 3, 4, 5, 6]])
    groups = ["a", "a", "a", "a", "b", "b", "b"]
    with pytest.raises(ValueError, match=match):
        MultiwinnerSelector(k=4, constraints=constraints).fit(R, item_groups=groups)


def test_constraints_with_upper_none_and_intersectional_groups():
    rng = np.random.default_rng(4)
    R = _rankings(rng, 10, 8)
    groups = np.array([["f", 0], ["f", 1], ["m", 0], ["m", 1]] * 2, dtype=object)
    sel = MultiwinnerSelector(k=3, rule="harmonic", constraints={("f", 1): (2, None)})
    c = sel.fit(R, item_groups=groups).select()
    assert np.isin(c, [1, 5]).sum() == 2
    assert sel.groups_ == [("f", 0), ("f", 1), ("m", 0), ("m", 1)]


# --------------------------------------------------------------------------------------------
# streaming, validation, estimator contract
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["k_borda", "harmonic"])
def test_partial_fit_chunks_equal_fit(rule):
    rng = np.random.default_rng(5)
    R = _rankings(rng, 60, 9)
    groups = np.arange(9) % 3
    full = MultiwinnerSelector(k=3, rule=rule, constraints="proportional").fit(
        R, item_groups=groups)
    stream = MultiwinnerSelector(k=3, rule=rule, constraints="proportional")
    stream.partial_fit(R[:1], item_groups=groups)
    for lo, hi in [(1, 20), (20, 20), (20, 59), (59, 60)]:
        stream.partial_fit(R[lo:hi].astype(np.int32))
    assert stream.n_rankings_ == full.n_rankings_ == 60
    np.testing.assert_array_equal(stream.select(), full.select())
    S = full.select()
    assert stream.score(S) == pytest.approx(full.score(S))
    if rule == "k_borda":
        assert full.separable_ and not hasattr(full, "ranking_chunks_")
        np.testing.assert_array_equal(stream.position_counts_, full.position_counts_)
    else:
        assert not full.separable_ and not hasattr(full, "position_counts_")


def test_duplicate_rankings_are_merged_without_changing_the_result():
    rng = np.random.default_rng(6)
    base = _rankings(rng, 4, 7)
    R = base[rng.integers(0, 4, 40)]
    sel = MultiwinnerSelector(k=3, rule="chamberlin_courant", solver="milp").fit(R)
    profile = sel._profile()
    assert profile.n_voters <= 4 and profile.weights.sum() == 40
    beta, lam = RULES["chamberlin_courant"].resolve(7, 3)
    assert sel.score(sel.select()) == pytest.approx(_ref_optimum(R, 3, beta, lam))


@pytest.mark.parametrize("bad, error, match", [
    (np.array([[0.0, 1.0, 2.0]]), TypeError, "integer array"),
    (np.array([[0, 1, 2]], dtype=object), TypeError, "dtype object"),
    (np.array([0, 1, 2]), ValueError, "2-D"),
    (np.array([[0, 1, 1]]), ValueError, "row 0 is not a permutation.*repeats"),
    (np.array([[0, 1, 2], [0, 1, 3]]), ValueError, "row 1 .*outside"),
    (np.array([[0, 1, 2, 3]]), ValueError, "3 items but .* fitted with 3|4 items but"),
    (np.array([[np.nan, 1, 2]]), ValueError, "NaN"),
    (np.array([[0, 1, 2]], dtype=complex), ValueError, "Complex"),
])
def test_rejected_chunk_leaves_state_unchanged(bad, error, match):
    sel = MultiwinnerSelector(k=2, rule="harmonic").fit(np.array([[0, 1, 2], [2, 1, 0]]),
                                                        item_groups=["x", "y", "y"])
    before = pickle.dumps(sel)
    with pytest.raises(error, match=match):
        sel.partial_fit(bad)
    assert pickle.dumps(sel) == before


def test_input_errors():
    R = np.array([[0, 1, 2], [2, 1, 0]])
    with pytest.raises(ValueError, match="empty"):
        MultiwinnerSelector(k=1).fit(np.empty((0, 3), dtype=int))
    sel = MultiwinnerSelector(k=1).fit(R)
    sel.partial_fit(np.empty((0, 3), dtype=int))  # no-op once fitted
    assert sel.n_rankings_ == 2
    with pytest.raises(ValueError, match="k must satisfy"):
        MultiwinnerSelector(k=4).fit(R)
    with pytest.raises(TypeError, match="k must be an integer"):
        MultiwinnerSelector(k=1.5).fit(R)
    with pytest.raises(ValueError, match="solver must be"):
        MultiwinnerSelector(k=1, solver="cplex").fit(R)
    with pytest.raises(ValueError, match="time_limit"):
        MultiwinnerSelector(k=1, time_limit=-1).fit(R)
    with pytest.raises(ValueError, match="constraints must be"):
        MultiwinnerSelector(k=1, constraints="parity").fit(R)
    with pytest.raises(ValueError, match="need item_groups"):
        MultiwinnerSelector(k=1, constraints="proportional").fit(R)
    with pytest.raises(ValueError, match="item_groups has 2 rows"):
        MultiwinnerSelector(k=1).fit(R, item_groups=[0, 1])
    with pytest.raises(ValueError, match="missing values"):
        MultiwinnerSelector(k=1).fit(R, item_groups=[0, None, 1])
    sel = MultiwinnerSelector(k=1).fit(R, item_groups=[0, 1, 1])
    with pytest.raises(ValueError, match="item_groups differ"):
        sel.partial_fit(R, item_groups=[1, 1, 0])
    sel.partial_fit(R, item_groups=[0, 1, 1])  # same groups again: fine
    with pytest.raises(TypeError, match="sparse"):
        import scipy.sparse as sp
        sel.partial_fit(sp.csr_matrix(R))
    with pytest.raises(ValueError, match="repeated"):
        sel.score([0, 0])
    with pytest.raises(ValueError, match="outside"):
        sel.score([3])
    with pytest.raises(ValueError, match="the selector's k is 1"):
        sel.score([0, 1])
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        MultiwinnerSelector().select()


def test_brute_force_refuses_huge_enumerations():
    rng = np.random.default_rng(0)
    sel = MultiwinnerSelector(k=15, solver="brute_force").fit(_rankings(rng, 2, 40))
    with pytest.raises(ValueError, match="brute force would enumerate"):
        sel.select()


def test_pickle_mid_stream_resumes_identically():
    rng = np.random.default_rng(8)
    R = _rankings(rng, 50, 8)
    a = MultiwinnerSelector(k=3, rule="chamberlin_courant").partial_fit(R[:20])
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(R[20:])
    b.partial_fit(R[20:])
    np.testing.assert_array_equal(a.select(), b.select())
    np.testing.assert_array_equal(np.concatenate(a.ranking_chunks_),
                                  np.concatenate(b.ranking_chunks_))
    assert a.score(a.select()) == b.score(b.select()) and a.n_rankings_ == b.n_rankings_


def test_clone_and_params():
    sel = MultiwinnerSelector(k=3, rule=OWARule("borda", "harmonic"), constraints={0: (1, 2)})
    c = clone(sel)
    assert c.get_params()["rule"] == sel.rule and c.get_params()["k"] == 3
    assert not hasattr(c, "n_features_in_")
    sel.set_params(solver="greedy")
    assert sel.solver == "greedy"


def test_auto_solver_choice():
    rng = np.random.default_rng(9)
    R = _rankings(rng, 30, 10)
    info = MultiwinnerSelector(k=3, rule="k_borda").fit(R).select(return_info=True)[1]
    assert info["solver"] == "separable"
    info = MultiwinnerSelector(k=3, rule="chamberlin_courant").fit(R).select(return_info=True)[1]
    assert info["solver"] == "milp" and info["optimal"]
    big = _rankings(rng, 700, 100)  # 700 * 100 > AUTO_MILP_MAX_VARIABLES
    info = MultiwinnerSelector(k=3, rule="chamberlin_courant").fit(big).select(
        return_info=True)[1]
    assert info["solver"] == "greedy"


def test_top_level_exports():
    assert fairlearn_online.MultiwinnerSelector is MultiwinnerSelector
    assert fairlearn_online.OWARule is OWARule
    assert callable(fairlearn_online.make_biased_rankings)


def test_constraints_object_helpers():
    cons = Constraints(codes=np.array([0, 0, 1]), lower=np.array([1, 0]),
                       upper=np.array([2, 1]), labels=["a", "b"])
    assert cons.satisfied(np.array([0, 2])) and not cons.satisfied(np.array([2]))


def test_auto_falls_back_to_greedy_when_the_milp_times_out():
    """Uniformly random rankings make the CC MILP hard: under a tiny time limit ``auto``
    returns the better of the MILP incumbent and greedy + swaps, flagged as not optimal."""
    rng = np.random.default_rng(11)
    R = _rankings(rng, 150, 60)
    sel = MultiwinnerSelector(k=8, rule="chamberlin_courant", time_limit=0.05).fit(R)
    committee, info = sel.select(return_info=True)
    assert not info["optimal"]
    greedy = MultiwinnerSelector(k=8, rule="chamberlin_courant", solver="greedy").fit(R)
    assert info["value"] >= greedy.score(greedy.select()) - 1e-9
    assert len(committee) == 8


@pytest.mark.parametrize("seed", range(8))
def test_greedy_upper_bound_brackets_the_optimum(seed):
    """For submodular rules greedy reports f(S) <= OPT <= upper_bound (a posteriori gap)."""
    rng = np.random.default_rng(3000 + seed)
    R, k, _, groups, constraints = _random_instance(rng, m_max=10)
    rule = RULES[("chamberlin_courant", "harmonic")[seed % 2]]
    sel = MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver="greedy")
    _, info = sel.fit(R, item_groups=groups).select(return_info=True)
    best = MultiwinnerSelector(k=k, rule=rule, constraints=constraints, solver="brute_force")
    opt = best.fit(R, item_groups=groups).select(return_info=True)[1]["value"]
    assert info["value"] - 1e-9 <= opt <= info["upper_bound"] + 1e-9
    assert 0 <= info["gap_bound"] <= 1
