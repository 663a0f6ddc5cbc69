"""Solvers for ``max f(S)`` over committees ``|S| = k`` with group bounds.

See ``docs/user_guide/selection.md`` ("Algorithm").

* :func:`solve_separable`: exact for separable rules, O(m log m);
* :func:`solve_milp`: exact mixed-integer program (cvxpy + HiGHS) for every OWA rule;
* :func:`solve_greedy`: feasibility-aware greedy plus best-improvement swap local search;
* :func:`solve_brute_force`: enumeration, the reference for small instances.

All solvers work on a :class:`Profile`: either the item scores of a separable rule (the
position-count statistic) or deduplicated rankings with voter weights.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._kernels import owa_gains, owa_scores
from ._rules import rule_properties

__all__ = ["Profile", "Constraints", "check_feasible", "solve_separable", "solve_milp",
           "solve_greedy", "solve_brute_force"]


@dataclass
class Constraints:
    """Per-group bounds ``lower[g] <= |S ∩ G_g| <= upper[g]``; ``codes[i]`` = group of item i."""

    codes: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    labels: list

    @property
    def n_groups(self):
        return len(self.lower)

    def counts(self, committee):
        return np.bincount(self.codes[committee], minlength=self.n_groups)

    def satisfied(self, committee):
        c = self.counts(committee)
        return bool(np.all(c >= self.lower) and np.all(c <= self.upper))


class Profile:
    """What a solver needs to know about the rankings.

    Parameters
    ----------
    m, k : int
    beta, lam : ndarray
        Resolved rule (see :meth:`OWARule.resolve`).
    item_scores : ndarray of shape (m,), optional
        For a separable rule: ``s_i = sum_v beta(pos_v(i))``, so
        ``f(S) = lam_1 * sum_{i in S} s_i``.
    rankings, weights : ndarray, optional
        Distinct rankings and how many voters submitted each (needed by non-separable rules).
    """

    def __init__(self, m, k, beta, lam, *, item_scores=None, rankings=None, weights=None):
        self.m, self.k = int(m), int(k)
        self.beta, self.lam = beta, lam
        props = rule_properties(beta, lam)
        self.separable = props["separable"]
        self.submodular = props["monotone_submodular"]
        self.nonincreasing = bool(np.all(np.diff(lam) <= 0))
        if item_scores is None and rankings is None:
            raise ValueError("A profile needs item scores or rankings.")
        if item_scores is None and self.separable:
            item_scores = _item_scores(rankings, weights, beta)
        self.item_scores = None if item_scores is None else lam[0] * np.asarray(item_scores, float)
        self.rankings = rankings
        self.weights = weights

    @property
    def n_voters(self):
        return 0 if self.rankings is None else self.rankings.shape[0]

    def mask(self, committee):
        mask = np.zeros(self.m, dtype=np.bool_)
        mask[np.asarray(committee, dtype=np.int64)] = True
        return mask

    def value(self, committee):
        """``f(S)`` exactly (separable: sum of item scores; else the OWA kernel)."""
        committee = np.asarray(committee, dtype=np.int64)
        if self.item_scores is not None:
            return float(self.item_scores[committee].sum())
        # the kernel uses lam[0..|S|-1]: a partial committee is scored with the first weights
        return float(owa_scores(self.rankings, self.weights, self.mask(committee), self.beta,
                                self.lam).sum())

    def gains(self, mask):
        """``f(S + i) - f(S)`` for every item (members: meaningless)."""
        if self.item_scores is not None:
            return self.item_scores.copy()
        out = np.empty(self.m)
        owa_gains(self.rankings, self.weights, mask, self.beta, self.lam, out)
        return out

    def utilities(self):
        """``U[v, i] = beta[pos_v(i)]`` for the distinct rankings."""
        n = self.rankings.shape[0]
        U = np.empty((n, self.m))
        U[np.arange(n)[:, None], self.rankings] = self.beta[None, :]
        return U


def _item_scores(rankings, weights, beta):
    # s_i = sum_v w_v beta[pos_v(i)]
    scores = np.zeros(rankings.shape[1])
    np.add.at(scores, rankings.ravel(), np.repeat(weights, rankings.shape[1])
              * np.tile(beta, rankings.shape[0]))
    return scores


# --------------------------------------------------------------------------------------------
# feasibility
# --------------------------------------------------------------------------------------------
def check_feasible(k, constraints):
    """Raise ``ValueError`` when no committee of size k meets the group bounds.

    For a partition of the items into groups the bounds are satisfiable iff every
    ``lower[g] <= min(upper[g], |G_g|)`` and ``sum_g lower[g] <= k <= sum_g min(upper[g], |G_g|)``.
    """
    if constraints is None:
        return
    sizes = np.bincount(constraints.codes, minlength=constraints.n_groups)
    cap = np.minimum(constraints.upper, sizes)
    bad = np.flatnonzero(constraints.lower > cap)
    if bad.size:
        g = bad[0]
        raise ValueError(
            f"Infeasible constraints: group {constraints.labels[g]!r} needs at least "
            f"{constraints.lower[g]} members but has {sizes[g]} items and an upper bound of "
            f"{constraints.upper[g]}.")
    if constraints.lower.sum() > k:
        raise ValueError(f"Infeasible constraints: the lower bounds sum to "
                         f"{int(constraints.lower.sum())} > k = {k}.")
    if cap.sum() < k:
        raise ValueError(f"Infeasible constraints: at most {int(cap.sum())} items can be chosen "
                         f"under the upper bounds and group sizes, fewer than k = {k}.")


# --------------------------------------------------------------------------------------------
# exact solver for separable rules
# --------------------------------------------------------------------------------------------
def solve_separable(profile, constraints=None):
    """Exact committee for a separable rule in O(m log m).

    Why it is optimal. With ``f(S) = sum_{i in S} s_i`` and the groups partitioning the items:
    (1) for fixed counts ``c_g = |S ∩ G_g|`` the best S takes the c_g best items of each group
    (exchanging a chosen item for a better unchosen one of the same group keeps every count and
    does not lower f); (2) so f = sum_g P_g(c_g) with P_g the prefix sums of the group's sorted
    scores, a separable *concave* function of c (its increments are the sorted scores), to be
    maximised over ``{lower <= c <= upper, sum c = k}``. For separable concave maximisation over a
    box intersected with one cardinality constraint, starting from ``c = lower`` and repeatedly
    incrementing the group with the largest next increment (while below its cap) is optimal
    (marginal allocation, Gross 1956): any optimal c can be exchanged one unit at a time toward the
    greedy one without loss. Taking each group's top ``lower[g]`` items, then filling the other
    slots in global score order while skipping full groups, is exactly that greedy. Ties are
    broken by item index, so the result is deterministic.
    """
    s = profile.item_scores
    m, k = profile.m, profile.k
    order = np.lexsort((np.arange(m), -s))  # best first, ties by index
    chosen = np.zeros(m, dtype=bool)
    if constraints is None:
        chosen[order[:k]] = True
        return np.flatnonzero(chosen)
    codes = constraints.codes
    counts = np.zeros(constraints.n_groups, dtype=np.int64)
    for i in order:  # mandatory part: each group's best lower[g] items
        g = codes[i]
        if counts[g] < constraints.lower[g]:
            chosen[i] = True
            counts[g] += 1
    size = int(counts.sum())
    for i in order:  # fill in global order under the caps
        if size == k:
            break
        g = codes[i]
        if not chosen[i] and counts[g] < constraints.upper[g]:
            chosen[i] = True
            counts[g] += 1
            size += 1
    return np.flatnonzero(chosen)


# --------------------------------------------------------------------------------------------
# exact MILP (cvxpy + HiGHS)
# --------------------------------------------------------------------------------------------
def milp_size(profile, formulation="threshold"):
    """Number of variables of the MILP (used by ``solver="auto"``)."""
    if profile.item_scores is not None:
        return profile.m
    n, m, k = profile.n_voters, profile.m, profile.k
    if formulation == "assignment" and not profile.nonincreasing:
        return m + k * n * m
    delta = profile.lam[:-1] - profile.lam[1:]
    return (m + int(np.count_nonzero(delta > 0)) * n * m
            + int(np.count_nonzero(delta < 0)) * n * (m + 1))


def solve_milp(profile, constraints=None, *, time_limit=None, formulation="threshold"):
    """Exact committee by a mixed-integer linear program solved with HiGHS through cvxpy.

    Variables: ``x_i in {0, 1}`` (item i chosen), ``sum_i x_i = k``, group bounds on ``G x``.
    A separable rule maximises ``s @ x``. Otherwise, with member utilities
    ``U[v, i] = beta[pos_v(i)]`` shifted to ``U' = U - min(beta) + 1 > 0`` (this adds the constant
    ``(1 - min beta) * sum(lam)`` per voter because ``|S| = k``), the OWA of voter v decomposes as

    ``f_v = sum_{j<k} (lam_j - lam_{j+1}) T_j + lam_k T_k``,  ``T_j`` = sum of the j best member
    utilities (best = earliest in v's ranking; beta is non-increasing so that is the j largest).

    ``T_k = U'_v @ x`` is linear. For the other levels:

    * ``lam_j > lam_{j+1}`` (every level of a non-increasing lambda: Chamberlin-Courant,
      harmonic): ``T_j = max {U'_v @ y : 0 <= y <= x, sum y <= j}``, an integral LP once x is
      binary (uniform-matroid polytope restricted to S). The OWA is a maximum of linear functions
      and the positive coefficient lets the maximisation pick that maximum: one block ``Y_j`` of
      n x m continuous variables per level;
    * ``lam_j < lam_{j+1}`` (general lambda, ``formulation="threshold"``): by LP duality
      ``T_j = min {j t + sum_i z_i : z_i >= U'_vi x_i - t, z >= 0}``; the coefficient is negative,
      so maximising drives ``j t + sum z`` down to exactly ``T_j``: n (m + 1) continuous variables
      per level and still only the m binaries x;
    * ``formulation="assignment"`` (general lambda): sorted-position assignment variables
      ``A[j, v, i] in {0, 1}`` (member i sits at sorted rank j for voter v) with
      ``sum_i A[j, v, :] = 1``, ``sum_j A[:, v, i] = x_i`` and ``U_v @ A[j, v] >= U_v @ A[j+1, v]``
      (ranks follow the voter's order), objective ``sum_j lam_j U_v @ A[j, v]``. Exact too, but
      k n m binaries and a weak relaxation: kept as a cross-check.

    Returns ``(committee, info)`` with the solver status and wall time.
    """
    import cvxpy as cp

    if formulation not in ("threshold", "assignment"):
        raise ValueError(f"formulation must be 'threshold' or 'assignment'; got {formulation!r}.")
    m, k = profile.m, profile.k
    start = time.perf_counter()
    x = cp.Variable(m, boolean=True)
    cons = [cp.sum(x) == k]
    if constraints is not None:
        G = sp.csr_matrix((np.ones(m), (constraints.codes, np.arange(m))),
                          shape=(constraints.n_groups, m))
        cons += [G @ x >= constraints.lower, G @ x <= np.minimum(constraints.upper, m)]
    n_cont = 0
    if profile.item_scores is not None:
        objective = profile.item_scores @ x
    else:
        lam = profile.lam
        w = profile.weights
        n = profile.n_voters
        rep = sp.kron(np.ones((n, 1)), sp.identity(m), format="csr")  # (n m) x m: x per voter
        rowsum = sp.kron(sp.identity(n), np.ones((1, m)), format="csr")  # n x (n m)
        if formulation == "assignment" and not profile.nonincreasing:
            U = profile.utilities()
            C = w[:, None] * U
            A = cp.Variable(k * n * m, boolean=True)
            n_cont += k * n * m
            cons += [sp.kron(sp.identity(k * n), np.ones((1, m)), format="csr") @ A == 1,
                     sp.kron(np.ones((1, k)), sp.identity(n * m), format="csr") @ A == rep @ x]
            # M[j n + v] @ A = U_v @ A[j, v]
            rows = np.repeat(np.arange(k * n), m)
            M = sp.csr_matrix((np.tile(U.ravel(), k), (rows, np.arange(k * n * m))),
                              shape=(k * n, k * n * m))
            if k > 1:
                cons.append((M[: (k - 1) * n] - M[n:]) @ A >= 0)
            objective = np.kron(lam, C.ravel()) @ A
        else:
            U = profile.utilities() - profile.beta.min() + 1.0  # U' > 0
            C = w[:, None] * U
            objective = (lam[-1] * C.sum(axis=0)) @ x
            objective = objective - (1.0 - profile.beta.min()) * lam.sum() * w.sum()
            Ux = sp.diags(U.ravel()) @ rep  # (U'_vi x_i) as a linear map of x
            for j in range(1, k):  # level j (1-based): coefficient lam_j - lam_{j+1}
                delta = lam[j - 1] - lam[j]
                if delta > 0:
                    Y = cp.Variable(n * m, bounds=[0, 1])
                    n_cont += n * m
                    cons += [Y <= rep @ x, rowsum @ Y <= j]
                    objective = objective + (delta * C.ravel()) @ Y
                elif delta < 0:
                    t = cp.Variable(n)
                    Z = cp.Variable(n * m, nonneg=True)
                    n_cont += n * (m + 1)
                    cons += [Z >= Ux @ x - rowsum.T @ t]
                    objective = objective + delta * (j * (w @ t) + np.repeat(w, m) @ Z)
    problem = cp.Problem(cp.Maximize(objective), cons)
    opts = {"mip_rel_gap": 1e-9, "mip_abs_gap": 1e-9, "output_flag": False}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    try:
        with warnings.catch_warnings():  # a time-limit stop is reported through info["status"]
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=cp.HIGHS, **opts)
    except cp.error.SolverError as exc:  # pragma: no cover - solver failure
        raise RuntimeError(f"HiGHS failed on the selection MILP: {exc}") from exc
    if x.value is None:
        raise RuntimeError(f"HiGHS returned no solution (status {problem.status!r}).")
    committee = np.sort(np.argsort(-x.value, kind="stable")[:k])
    info = dict(solver="milp", status=problem.status, optimal=problem.status == cp.OPTIMAL,
                n_variables=m + n_cont, seconds=time.perf_counter() - start)
    return committee, info


# --------------------------------------------------------------------------------------------
# greedy + swap local search
# --------------------------------------------------------------------------------------------
def _allowed_additions(constraints, counts, size, k):
    """Groups an item may come from so that the bounds stay satisfiable after adding it."""
    need = np.maximum(constraints.lower - counts, 0)
    slack = k - size - 1 - need.sum()
    ok = counts < constraints.upper
    # adding an item of group g lowers the need by one if g is still under its lower bound
    ok &= (slack + (need > 0)) >= 0
    return ok


def solve_greedy(profile, constraints=None, *, local_search=True, max_passes=None):
    """Greedy by marginal gain, then best-improvement single swaps until none improves.

    For monotone submodular f without constraints greedy is a (1 - 1/e)-approximation; with the
    group bounds it keeps the partial committee completable (an item of group g is eligible only
    if g is below its cap and the remaining slots still cover every unmet lower bound). The swap
    phase replaces one member by one non-member (keeping the bounds) while that raises f by more
    than a relative 1e-12, so the result is a local optimum for single swaps.
    Cost per greedy step and per swap candidate: one O(n m) kernel pass.
    """
    m, k = profile.m, profile.k
    start = time.perf_counter()
    mask = np.zeros(m, dtype=np.bool_)
    counts = None if constraints is None else np.zeros(constraints.n_groups, dtype=np.int64)
    for size in range(k):
        gains = profile.gains(mask)
        eligible = ~mask
        if constraints is not None:
            eligible &= _allowed_additions(constraints, counts, size, k)[constraints.codes]
        gains = np.where(eligible, gains, -np.inf)
        best = int(np.argmax(gains))
        mask[best] = True
        if counts is not None:
            counts[constraints.codes[best]] += 1
    greedy_value = profile.value(np.flatnonzero(mask))
    value = greedy_value
    n_swaps = 0
    if local_search and k < m:
        max_passes = 10 * m if max_passes is None else max_passes
        for _ in range(max_passes):
            best_val, best_pair = value, None
            for o in np.flatnonzero(mask):
                mask[o] = False
                base = profile.value(np.flatnonzero(mask))
                gains = profile.gains(mask)
                mask[o] = True
                eligible = ~mask
                if constraints is not None:
                    g = constraints.codes[o]
                    c = counts.copy()
                    c[g] -= 1
                    ok = c < constraints.upper
                    if c[g] < constraints.lower[g]:
                        ok = np.zeros_like(ok)
                        ok[g] = True
                    eligible &= ok[constraints.codes]
                if not eligible.any():
                    continue
                cand = np.where(eligible, base + gains, -np.inf)
                i = int(np.argmax(cand))
                if cand[i] > best_val + 1e-12 * max(1.0, abs(best_val)):
                    best_val, best_pair = cand[i], (o, i)
            if best_pair is None:
                break
            o, i = best_pair
            mask[o], mask[i] = False, True
            if counts is not None:
                counts[constraints.codes[o]] -= 1
                counts[constraints.codes[i]] += 1
            value = profile.value(np.flatnonzero(mask))
            n_swaps += 1
    committee = np.flatnonzero(mask)
    info = dict(solver="greedy", greedy_value=greedy_value, n_swaps=n_swaps,
                seconds=time.perf_counter() - start)
    # a certificate of the gap: the exact optimum for separable rules, the a posteriori
    # submodular bound for monotone submodular ones, nothing otherwise
    if profile.separable and profile.item_scores is not None:
        info["upper_bound"] = profile.value(solve_separable(profile, constraints))
    elif profile.submodular:
        info["upper_bound"] = _submodular_upper_bound(profile, constraints, mask, value)
    if "upper_bound" in info:
        ub = info["upper_bound"]
        info["gap_bound"] = max(ub - value, 0.0) / abs(ub) if ub != 0 else 0.0
    return committee, info


def _submodular_upper_bound(profile, constraints, mask, value):
    """A posteriori bound ``OPT <= f(S) + max_{T feasible} sum_{i in T \\ S} gain_i(S)``.

    For monotone submodular f and the optimal committee O: ``f(O) <= f(S ∪ O) <= f(S) +
    sum_{i in O \\ S} (f(S + i) - f(S))``. O is feasible, so the sum is at most the best feasible
    committee under the (modular) gains, which :func:`solve_separable` finds exactly. The gains
    need ``|S| < k`` weights; S has k members, so they use the OWA extended by ``lam_{k+1} = 0``
    (the value of a (k+1)-set under weights (lam, 0) is its best-k value, >= any k-subset's).
    """
    lam = np.append(profile.lam, 0.0)
    gains = np.empty(profile.m)
    owa_gains(profile.rankings, profile.weights, mask, profile.beta, lam, gains)
    gains = np.where(mask, 0.0, np.maximum(gains, 0.0))
    bound_profile = Profile(profile.m, profile.k, profile.beta, np.ones(profile.k),
                            item_scores=gains)
    best = solve_separable(bound_profile, constraints)
    return float(value + gains[best].sum())


# --------------------------------------------------------------------------------------------
# brute force
# --------------------------------------------------------------------------------------------
def solve_brute_force(profile, constraints=None, *, max_committees=2_000_000):
    """Enumerate every committee (first best in lexicographic order wins ties)."""
    m, k = profile.m, profile.k
    total = math.comb(m, k)
    if total > max_committees:
        raise ValueError(f"brute force would enumerate C({m}, {k}) = {total} committees "
                         f"(> {max_committees}); use solver='exact' or 'greedy'.")
    start = time.perf_counter()
    best, best_val = None, -np.inf
    for combo in itertools.combinations(range(m), k):
        committee = np.array(combo, dtype=np.int64)
        if constraints is not None and not constraints.satisfied(committee):
            continue
        val = profile.value(committee)
        if val > best_val:
            best, best_val = committee, val
    if best is None:
        raise ValueError("Infeasible constraints: no committee satisfies the group bounds.")
    return best, dict(solver="brute_force", n_committees=total,
                      seconds=time.perf_counter() - start)
