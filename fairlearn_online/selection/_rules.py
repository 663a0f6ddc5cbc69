"""OWA committee scoring rules (docs/user_guide/selection.md).

A committee scoring rule in OWA form scores a committee S of k items from n rankings of m items as

.. math::

    f(S) = \\sum_{v=1}^{n} \\sum_{j=1}^{k} \\lambda_j \\, \\beta(\\mathrm{pos}_v(s_{(j)}))

where ``pos_v(i)`` is the 0-based position of item i in voter v's ranking, ``s_(j)`` is the member
of S that v ranks j-th best among S, ``beta`` is a non-increasing positional score vector of
length m and ``lambda`` an ordered-weighted-average (OWA) vector of length k.

Properties used by the solvers (proofs in ``docs/user_guide/selection.md``):

* **separable** when all ``lambda_j`` are equal: ``f(S) = lambda * sum_{i in S} s_i`` with the
  item score ``s_i = sum_v beta(pos_v(i))`` (SNTV, Bloc, k-Borda);
* **monotone submodular** when ``lambda`` is non-increasing and non-negative (``beta >= 0``):
  ``f_v = sum_{j<k} (lambda_j - lambda_{j+1}) T_j + lambda_k T_k`` with ``T_j`` the sum of the j
  largest member utilities, a weighted rank function of the uniform matroid of rank j, hence
  monotone submodular; a non-negative combination stays so (Chamberlin-Courant, harmonic/PAV-like,
  and the separable rules, which are modular);
* anything else (e.g. increasing ``lambda``) is neither; only the MILP and brute force are exact.
"""

from __future__ import annotations

import numpy as np

from ._kernels import owa_scores
from ._rankings import check_rankings

__all__ = ["OWARule", "RULES", "get_rule"]

_BETAS = ("borda", "plurality", "k_approval")
_WEIGHTS = ("ones", "first", "harmonic")


def _beta_vector(name, m, k):
    p = np.arange(m, dtype=np.float64)
    if name == "borda":  # Borda: m - 1 - pos (0-based), i.e. m - pos with 1-based positions
        return (m - 1) - p
    if name == "plurality":  # 1 for the top position only
        return (p == 0).astype(np.float64)
    if name == "k_approval":  # 1 for the top k positions (Bloc)
        return (p < k).astype(np.float64)
    raise AssertionError(name)


def _weight_vector(name, k):
    if name == "ones":
        return np.ones(k)
    if name == "first":  # Chamberlin-Courant: only the best member counts
        w = np.zeros(k)
        w[0] = 1.0
        return w
    if name == "harmonic":  # PAV-like: lambda_j = 1 / j (1-based j)
        return 1.0 / np.arange(1, k + 1)
    raise AssertionError(name)


class OWARule:
    """A committee scoring rule in OWA form, ``f(S) = sum_v sum_j lambda_j beta(pos_v(s_(j)))``.

    Parameters
    ----------
    beta : {"borda", "plurality", "k_approval"}, array-like of shape (m,) or callable
        Positional scores, best position first, non-increasing and finite. Names:
        ``"borda"`` = ``m - 1 - pos``; ``"plurality"`` = 1 at the top position; ``"k_approval"`` =
        1 on the top k positions. A callable is called as ``beta(m, k)``.
    weights : {"ones", "first", "harmonic"}, array-like of shape (k,) or callable
        OWA weights ``lambda_1..lambda_k`` applied to the committee members in each voter's
        order: ``"ones"`` (all members count: separable), ``"first"`` (only the best member:
        Chamberlin-Courant), ``"harmonic"`` (``1/j``: PAV-like). A callable is called as
        ``weights(k)``. Any finite real values are accepted.
    name : str, optional
        Display name.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.selection import OWARule
    >>> rule = OWARule("borda", "first", name="chamberlin_courant")
    >>> beta, lam = rule.resolve(m=4, k=2)
    >>> beta.tolist(), lam.tolist()
    ([3.0, 2.0, 1.0, 0.0], [1.0, 0.0])
    >>> rule.properties(4, 2)
    {'separable': False, 'monotone_submodular': True}
    >>> rule.score(np.array([[0, 1, 2, 3], [3, 2, 1, 0]]), [0, 3])  # max Borda utility per voter
    6.0
    """

    def __init__(self, beta="borda", weights="ones", *, name=None):
        self.beta = beta
        self.weights = weights
        self.name = name

    def __repr__(self):
        if self.name is not None:
            return f"OWARule(name={self.name!r})"
        return f"OWARule(beta={self.beta!r}, weights={self.weights!r})"

    def __eq__(self, other):
        if not isinstance(other, OWARule):
            return NotImplemented
        return (_param_key(self.beta) == _param_key(other.beta)
                and _param_key(self.weights) == _param_key(other.weights))

    def __hash__(self):
        return hash((_param_key(self.beta), _param_key(self.weights)))

    # ----------------------------------------------------------------------------------------
    def resolve(self, m, k):
        """Validated ``(beta, lam)`` float64 vectors for m items and committees of size k.

        Raises
        ------
        ValueError
            If a vector has the wrong length, is not finite, or beta is increasing somewhere.
        """
        if isinstance(self.beta, str):
            if self.beta not in _BETAS:
                raise ValueError(f"beta must be one of {_BETAS}, an array or a callable; "
                                 f"got {self.beta!r}.")
            beta = _beta_vector(self.beta, m, k)
        else:
            raw = self.beta(m, k) if callable(self.beta) else self.beta
            beta = _as_vector(raw, m, "beta", "m (the number of items)")
        if isinstance(self.weights, str):
            if self.weights not in _WEIGHTS:
                raise ValueError(f"weights must be one of {_WEIGHTS}, an array or a callable; "
                                 f"got {self.weights!r}.")
            lam = _weight_vector(self.weights, k)
        else:
            raw = self.weights(k) if callable(self.weights) else self.weights
            lam = _as_vector(raw, k, "weights", "k (the committee size)")
        if np.any(np.diff(beta) > 0):
            raise ValueError("beta must be non-increasing (best position first): a committee "
                             "scoring rule never scores a worse position higher.")
        return beta, lam

    def properties(self, m, k):
        """``{"separable": bool, "monotone_submodular": bool}`` for m items and size k."""
        beta, lam = self.resolve(m, k)
        return rule_properties(beta, lam)

    def score(self, rankings, committee):
        """``f(committee)`` on ``rankings`` (shape (n, m), rows = items best first)."""
        rankings = check_rankings(rankings, name="rankings")
        m = rankings.shape[1]
        committee = check_committee(committee, m)
        beta, lam = self.resolve(m, len(committee))
        mask = np.zeros(m, dtype=np.bool_)
        mask[committee] = True
        return float(owa_scores(rankings, np.ones(rankings.shape[0]), mask, beta, lam).sum())


def rule_properties(beta, lam):
    """``{"separable": bool, "monotone_submodular": bool}`` of the OWA rule ``(beta, lam)``."""
    separable = bool(np.all(lam == lam[0]))
    nonincreasing = bool(np.all(np.diff(lam) <= 0))
    submodular = nonincreasing and bool(np.all(lam >= 0)) and bool(np.all(beta >= 0))
    return {"separable": separable, "monotone_submodular": submodular}


def _param_key(value):
    if isinstance(value, (np.ndarray, list, tuple)):  # equal vectors compare equal
        try:
            return ("vector", tuple(np.asarray(value, dtype=np.float64).ravel().tolist()))
        except (TypeError, ValueError):
            return ("object", id(value))
    return value


def _as_vector(raw, length, name, what):
    try:
        vec = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if vec.ndim != 1 or vec.shape[0] != length:
        raise ValueError(f"{name} must be a vector of length {what} = {length}; "
                         f"got shape {vec.shape}.")
    if not np.all(np.isfinite(vec)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return vec


def check_committee(committee, m, k=None):
    """Sorted unique int64 item indices of a committee; errors name the argument."""
    arr = np.asarray(committee)
    if arr.ndim != 1:
        raise ValueError("committee must be a 1-D sequence of item indices; "
                         f"got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError("committee is empty.")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"committee must hold integer item indices; got dtype {arr.dtype}.")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= m:
        raise ValueError(f"committee has item indices outside 0..{m - 1}.")
    if np.unique(arr).size != arr.size:
        raise ValueError("committee has repeated items.")
    if k is not None and arr.size != k:
        raise ValueError(f"committee has {arr.size} items; the selector's k is {k}.")
    return np.sort(arr)


#: The named rules of ``docs/user_guide/selection.md`` ("Algorithm").
RULES = {
    "sntv": OWARule("plurality", "ones", name="sntv"),
    "bloc": OWARule("k_approval", "ones", name="bloc"),
    "k_borda": OWARule("borda", "ones", name="k_borda"),
    "chamberlin_courant": OWARule("borda", "first", name="chamberlin_courant"),
    "harmonic": OWARule("borda", "harmonic", name="harmonic"),
}


def get_rule(rule):
    """An :class:`OWARule` from a name of ``RULES`` or an ``OWARule`` (returned as is).

    Parameters
    ----------
    rule : str or OWARule
        A key of ``RULES`` (``"k_borda"``, ``"harmonic"``, ...) or a rule.

    Returns
    -------
    OWARule

    Raises
    ------
    ValueError
        For any other value.

    Examples
    --------
    >>> from fairlearn_online.selection import get_rule
    >>> get_rule("harmonic").resolve(m=3, k=2)[1].tolist()
    [1.0, 0.5]
    """
    if isinstance(rule, OWARule):
        return rule
    if isinstance(rule, str) and rule in RULES:
        return RULES[rule]
    raise ValueError(f"rule must be one of {sorted(RULES)} or an OWARule; got {rule!r}.")
