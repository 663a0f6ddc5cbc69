"""Numba kernels of :class:`~fairlearn_online.baselines.FAHTClassifier` (a Hoeffding tree whose
split merit is FAHT's fair information gain).

Paper: W. Zhang and E. Ntoutsi, "FAHT: An Adaptive Fairness-aware Decision Tree Classifier",
IJCAI 2019, section 3 (Eqs. 1, 4, 5 and Algorithm 1); the tree itself is VFDT (Domingos &
Hulten, KDD 2000) with Gaussian numeric observers as in river's ``HoeffdingTreeClassifier``.

Layout (``M`` node slots, ``d`` features, ``C = 2`` classes, ``G`` fairness groups):

* ``feature[k]``: split feature of node ``k`` (``-1`` for a leaf); ``threshold[k]``
  (``x[feature] <= threshold`` goes left); ``children[k] = (left, right)``; ``depth[k]``;
* ``class_counts[k, c]``: weight of class ``c`` at leaf ``k`` (river's leaf ``stats``);
* ``fair_counts[k, c, g]``: weight of class ``c`` and fairness group ``g`` at leaf ``k``;
* ``class_obs[k, j, c, :]`` and ``fair_obs[k, j, c, g, :]``: Gaussian observers
  ``(n, mean, S, min, max)`` of feature ``j`` per class, and per class and group (``S`` is the
  sum of squared deviations, so the unbiased variance is ``S / (n - 1)``);
* ``last_check[k]``: the leaf's weight at its last split attempt.

The split point candidates, the class counts on each side and the information gain follow
river's ``GaussianSplitter`` and ``InfoGainSplitCriterion`` operation by operation, so that with
``fair=False`` the tree grows exactly as river's (tested). The fairness groups' counts on each
side come from the per-(class, group) observers the same way.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._core.jit import configure as _configure_cache

_configure_cache()  # a writable cache directory (read-only installs) and the compile notice

_N, _MEAN, _S, _MIN, _MAX = 0, 1, 2, 3, 4
_SQRT2 = math.sqrt(2.0)


# --------------------------------------------------------------------------------------------
# split criterion (paper, Eqs. 1, 4, 5)
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def entropy(counts):
    """Entropy in bits of class weights, written as river's ``_compute_entropy_dict``."""
    h = 0.0
    total = 0.0
    for c in range(counts.shape[0]):
        d = counts[c]
        if d > 0.0:
            h -= d * math.log2(d)
            total += d
    if total <= 0.0:
        return 0.0
    return (h + total * math.log2(total)) / total


@njit(cache=True)
def information_gain(parent, left, right, min_branch_fraction):
    """``IG = H(D) - sum_v |D_v| / |D| H(D_v)`` of a binary split (``-inf`` if fewer than two
    branches hold more than ``min_branch_fraction`` of the weight, as river and MOA)."""
    w_l = 0.0
    w_r = 0.0
    for c in range(left.shape[0]):
        w_l += left[c]
        w_r += right[c]
    total = w_l + w_r
    if total <= 0.0:
        return -np.inf
    n_big = int(w_l / total > min_branch_fraction) + int(w_r / total > min_branch_fraction)
    if n_big < 2:
        return -np.inf
    return entropy(parent) - (w_l * entropy(left) + w_r * entropy(right)) / total


@njit(cache=True)
def discrimination(counts, present):
    """``|Disc(D)|`` (paper, Eq. 1) from ``counts[c, g]``, over the groups with ``present[g]``.

    ``Disc(D) = P(+ | non-protected, D) - P(+ | protected, D)`` with ``+`` the class of index 1.
    With two groups this is the gap of their positive rates; with more, the largest gap between
    any two (``max_g r_g - min_g r_g``). A group present in the parent node but absent from
    ``D`` has rate ``|D_{g,+}| / |D_g| = 0 / 0 := 0``: none of its members receives a positive
    from ``D``, so a set that holds one group only has ``|Disc|`` equal to that group's positive
    rate (not 0, which would make splitting off one group look perfectly fair).
    """
    lo = np.inf
    hi = -np.inf
    last = counts.shape[0] - 1
    for g in range(counts.shape[1]):
        if not present[g]:
            continue
        total = 0.0
        for c in range(counts.shape[0]):
            total += counts[c, g]
        rate = counts[last, g] / total if total > 0.0 else 0.0
        lo = min(lo, rate)
        hi = max(hi, rate)
    if hi < lo:
        return 0.0
    return hi - lo


@njit(cache=True)
def fairness_gain(parent, left, right):
    """``FG = |Disc(D)| - sum_v |D_v| / |D| |Disc(D_v)|`` (paper, Eq. 4) of a binary split.

    ``parent``, ``left``, ``right``: class-by-group weights ``[c, g]``. Positive when the split
    lowers the (weighted) discrimination. ``FG = 0`` exactly when ``D`` holds fewer than two
    groups (there is no discrimination to change).
    """
    n_groups = parent.shape[1]
    present = np.zeros(n_groups, dtype=np.bool_)
    n_present = 0
    for g in range(n_groups):
        w = 0.0
        for c in range(parent.shape[0]):
            w += parent[c, g]
        if w > 0.0:
            present[g] = True
            n_present += 1
    if n_present < 2:
        return 0.0
    w_l = left.sum()
    w_r = right.sum()
    total = w_l + w_r
    if total <= 0.0:
        return 0.0
    return (discrimination(parent, present) - (w_l * discrimination(left, present)
                                               + w_r * discrimination(right, present)) / total)


@njit(cache=True)
def fair_information_gain(ig, fg):
    """``FIG = IG * FG`` if ``FG != 0`` else ``IG`` (paper, Eq. 5)."""
    if fg == 0.0 or not np.isfinite(ig):
        return ig
    return ig * fg


# --------------------------------------------------------------------------------------------
# Gaussian observers (river's GaussianSplitter)
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def _observe(o, v):
    """Add value ``v`` (weight 1) to observer ``o = (n, mean, S, min, max)`` as river's ``Var``."""
    if o[_N] == 0.0:
        o[_MIN] = v
        o[_MAX] = v
    else:
        if v < o[_MIN]:
            o[_MIN] = v
        if v > o[_MAX]:
            o[_MAX] = v
    mean_old = o[_MEAN]
    o[_N] += 1.0
    o[_MEAN] += (1.0 / o[_N]) * (v - o[_MEAN])
    o[_S] += (v - mean_old) * (v - o[_MEAN])


@njit(cache=True)
def _left_weight(o, t):
    """Weight of observer ``o`` estimated at ``x <= t`` (river's
    ``_class_dists_from_binary_split``: whole weight to one side outside ``[min, max]``)."""
    n = o[_N]
    if t < o[_MIN]:
        return 0.0
    if t >= o[_MAX]:
        return n
    var = o[_S] / (n - 1.0) if n > 1.0 else 0.0
    sigma = var ** 0.5
    if sigma == 0.0:
        return 0.0
    return 0.5 * (1.0 + math.erf(((t - o[_MEAN]) / sigma) / _SQRT2)) * n


@njit(cache=True)
def _split_points(obs_j, n_split_points, out):
    """Candidate thresholds of one feature from its per-class observers ``obs_j[c, :]``:
    ``n_split_points`` equally spaced points strictly inside [min, max]; returns how many."""
    lo = np.inf
    hi = -np.inf
    for c in range(obs_j.shape[0]):
        if obs_j[c, _N] > 0.0:
            lo = min(lo, obs_j[c, _MIN])
            hi = max(hi, obs_j[c, _MAX])
    count = 0
    if lo == np.inf:
        return 0
    step = (hi - lo) / (n_split_points + 1.0)
    for i in range(n_split_points):
        t = lo + step * (i + 1)
        if lo < t < hi:
            out[count] = t
            count += 1
    return count


@njit(cache=True)
def best_split(class_counts, fair_counts, class_obs, fair_obs, n_split_points,
               min_branch_fraction, fair, out_class, out_fair):
    """Best threshold of every feature; returns ``(j1, t1, merit1, merit2)``.

    The merit is FIG (``fair``) or IG. ``j1`` is the best feature (``-1`` if none has a valid
    candidate), ``t1`` its threshold, ``merit1`` its merit and ``merit2`` the best merit among
    the other features (``-inf`` if none). Ties keep the lower feature and threshold (as river).
    ``out_class[side, c]`` and ``out_fair[side, c, g]`` receive the best split's branch weights.
    """
    d, n_classes = class_obs.shape[0], class_obs.shape[1]
    n_groups = fair_obs.shape[2]
    points = np.empty(n_split_points)
    left = np.empty(n_classes)
    right = np.empty(n_classes)
    fleft = np.zeros((n_classes, n_groups))
    fright = np.zeros((n_classes, n_groups))
    j1 = -1
    t1 = 0.0
    m1 = -np.inf
    m2 = -np.inf
    for j in range(d):
        n_pts = _split_points(class_obs[j], n_split_points, points)
        feat_merit = -np.inf
        for i in range(n_pts):
            t = points[i]
            for c in range(n_classes):
                o = class_obs[j, c]
                lw = _left_weight(o, t) if o[_N] > 0.0 else 0.0
                left[c] = lw
                right[c] = o[_N] - lw
            merit = information_gain(class_counts, left, right, min_branch_fraction)
            if fair:
                for c in range(n_classes):
                    for g in range(n_groups):
                        o = fair_obs[j, c, g]
                        lw = _left_weight(o, t) if o[_N] > 0.0 else 0.0
                        fleft[c, g] = lw
                        fright[c, g] = o[_N] - lw
                merit = fair_information_gain(merit, fairness_gain(fair_counts, fleft, fright))
            if merit > feat_merit:
                feat_merit = merit
                if merit > m1:
                    t1 = t
                    out_class[0, :] = left
                    out_class[1, :] = right
                    if fair:
                        out_fair[0] = fleft
                        out_fair[1] = fright
        if feat_merit == -np.inf:
            continue
        if feat_merit > m1:
            m2 = m1
            m1 = feat_merit
            j1 = j
        elif feat_merit > m2:
            m2 = feat_merit
    if not fair and j1 >= 0:
        # one fairness group: the per-(class, group) observers are the per-class ones
        for side in range(2):
            for c in range(n_classes):
                out_fair[side, c, :] = 0.0
                out_fair[side, c, 0] = out_class[side, c]
    return j1, t1, m1, m2


# --------------------------------------------------------------------------------------------
# the per-sample loop (paper, Algorithm 1)
# --------------------------------------------------------------------------------------------
@njit(cache=True)
def leaf_of(x, feature, threshold, children):
    node = 0
    while feature[node] >= 0:
        node = children[node, 0] if x[feature[node]] <= threshold[node] else children[node, 1]
    return node


@njit(cache=True)
def faht_learn_chunk(X, y, groups, start, feature, threshold, children, depth, n_nodes,
                     class_counts, fair_counts, class_obs, fair_obs, last_check, grace_period,
                     delta, tau, n_split_points, max_depth, min_branch_fraction, fair,
                     return_predictions, pred):
    """Learn rows ``start, start + 1, ...`` of a chunk in order; return where it stopped.

    Per row: sort ``x`` to its leaf; predict the leaf's majority class (``pred[i]``, before
    learning); add ``(y, group)`` to the leaf's counts and ``x`` to its observers. Every
    ``grace_period`` weight at a leaf of depth ``< max_depth`` (``max_depth < 0``: unlimited)
    holding two classes, attempt a split: with ``X_a``, ``X_b`` the best and second-best
    features by merit (FIG if ``fair``, else IG) and the null split ``X_0`` of merit 0, split on
    ``X_a`` if ``merit(X_a) > 0`` and ``merit(X_a) - max(merit(X_b), 0) > eps`` or ``eps < tau``,
    ``eps = sqrt(R^2 ln(1 / delta) / (2 n))``, ``R = log2(2) = 1``, ``n`` the leaf's weight
    (paper, Algorithm 1). The two children start from the split's estimated branch weights.

    When fewer than two node slots are free the kernel returns the index of the next row to
    learn (not yet learned) so that the caller can grow the arrays; ``X.shape[0]`` when done.
    ``n_nodes`` is a 1-element array updated in place.
    """
    n, d = X.shape
    n_classes, n_groups = fair_counts.shape[1], fair_counts.shape[2]
    capacity = feature.shape[0]
    log_inv_delta = math.log(1.0 / delta)
    out_class = np.zeros((2, n_classes))
    out_fair = np.zeros((2, n_classes, n_groups))
    for i in range(start, n):
        if n_nodes[0] + 2 > capacity:
            return i
        x = X[i]
        c = y[i]
        g = groups[i]
        leaf = leaf_of(x, feature, threshold, children)
        if return_predictions:
            pred[i] = np.argmax(class_counts[leaf])  # the lowest class on ties
        class_counts[leaf, c] += 1.0
        fair_counts[leaf, c, g] += 1.0
        for j in range(d):
            _observe(class_obs[leaf, j, c], x[j])
            if fair:
                _observe(fair_obs[leaf, j, c, g], x[j])
        weight = 0.0
        n_seen = 0
        for cc in range(n_classes):
            weight += class_counts[leaf, cc]
            if class_counts[leaf, cc] != 0.0:
                n_seen += 1
        if max_depth >= 0 and depth[leaf] >= max_depth:
            continue
        if weight - last_check[leaf] < grace_period:
            continue
        if n_seen >= 2:
            j1, t1, m1, m2 = best_split(class_counts[leaf], fair_counts[leaf], class_obs[leaf],
                                        fair_obs[leaf], n_split_points, min_branch_fraction,
                                        fair, out_class, out_fair)
            eps = math.sqrt(log_inv_delta / (2.0 * weight))
            if j1 >= 0 and m1 > 0.0 and (m1 - max(m2, 0.0) > eps or eps < tau):
                k = n_nodes[0]
                feature[leaf] = j1
                threshold[leaf] = t1
                children[leaf, 0] = k
                children[leaf, 1] = k + 1
                for side in range(2):
                    child = k + side
                    feature[child] = -1
                    threshold[child] = 0.0
                    children[child, 0] = -1
                    children[child, 1] = -1
                    depth[child] = depth[leaf] + 1
                    class_obs[child] = 0.0
                    fair_obs[child] = 0.0
                    w = 0.0
                    for cc in range(n_classes):
                        class_counts[child, cc] = out_class[side, cc]
                        w += out_class[side, cc]
                        for gg in range(n_groups):
                            fair_counts[child, cc, gg] = out_fair[side, cc, gg]
                    last_check[child] = w
                n_nodes[0] = k + 2
                continue
        last_check[leaf] = weight
    return n


@njit(cache=True)
def faht_leaf_counts(X, feature, threshold, children, class_counts):
    """``out[i, c]``: the class weights of the leaf row ``i`` reaches."""
    out = np.zeros((X.shape[0], class_counts.shape[1]))
    for i in range(X.shape[0]):
        out[i] = class_counts[leaf_of(X[i], feature, threshold, children)]
    return out
