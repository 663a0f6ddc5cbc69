"""The bias model and the rankings-needed tool (Boehmer et al., ICML 2023).

See ``docs/user_guide/selection.md`` ("Algorithm").

Items have latent utilities ``u_i >= 0``; in the observed rankings the utilities of the
disadvantaged group are multiplied by ``theta in (0, 1]``; each ranking is then drawn by a noise
model around the biased utilities. The quality of a selection is the rule evaluated on *unbiased*
rankings, as a fraction of the unbiased optimum.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from .._core.groups import encode_groups
from .._core.random import make_generator
from ..utils import progress_bar
from ._kernels import mallows_rim
from ._rules import get_rule

__all__ = ["make_biased_rankings", "quality_ratio", "rankings_needed"]

_DEFAULT_DISPERSION = {"mallows": 0.8, "gaussian": 0.25}


def _check_utilities(utilities, item_groups, disadvantaged):
    u = np.asarray(utilities, dtype=np.float64) if not isinstance(utilities, np.ndarray) \
        else utilities.astype(np.float64)
    if u.ndim != 1 or u.size == 0:
        raise ValueError(f"utilities must be a non-empty 1-D array; got shape {u.shape}.")
    if not np.all(np.isfinite(u)):
        raise ValueError("utilities contain NaN or infinity.")
    if np.any(u < 0):
        raise ValueError("utilities must be >= 0 (the bias multiplies them by theta <= 1).")
    codes, groups = encode_groups(item_groups, u.size, name="item_groups")
    wanted = disadvantaged if isinstance(disadvantaged, (list, set)) else [disadvantaged]
    flags = np.zeros(u.size, dtype=bool)
    for label in wanted:
        key = label.item() if isinstance(label, np.generic) else label
        if key not in groups:
            raise ValueError(f"disadvantaged group {label!r} is not among the item groups "
                             f"{groups}.")
        flags |= codes == groups.index(key)
    return u, flags


def make_biased_rankings(n_rankings, utilities, item_groups, *, bias=1.0, disadvantaged=1,
                         noise="mallows", dispersion=None, random_state=None):
    """Draw rankings of items whose disadvantaged group is under-valued by a factor ``bias``.

    The biased utility is ``u_i * bias`` for items of the disadvantaged group(s) and ``u_i``
    otherwise. Then every ranking is drawn independently:

    * ``noise="mallows"``: Mallows distribution centred on the biased order (decreasing biased
      utility, ties by item index) with dispersion ``phi = dispersion`` in [0, 1] (0: always the
      centre; 1: uniformly random), sampled by the repeated insertion method;
    * ``noise="gaussian"``: rank by ``u_biased + dispersion * N(0, 1)`` drawn per voter and item
      (a Thurstone random-utility model).

    Parameters
    ----------
    n_rankings : int
        Number of rankings (voters), >= 0.
    utilities : array-like of shape (m,)
        Latent utilities, >= 0.
    item_groups : array-like of shape (m,)
        Group label of each item.
    bias : float, default=1.0
        ``theta`` in (0, 1]; 1 means unbiased rankings.
    disadvantaged : label or list of labels, default=1
        The group(s) whose utilities are multiplied by ``bias``.
    noise : {"mallows", "gaussian"}, default="mallows"
    dispersion : float, optional
        Mallows ``phi`` (default 0.8) or Gaussian noise scale (default 0.25, in utility units).
    random_state : int, RandomState, Generator or None

    Returns
    -------
    rankings : ndarray of shape (n_rankings, m), dtype int64
        Row v = item indices, best first.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.selection import make_biased_rankings
    >>> u = np.array([1.0, 0.9, 0.8, 0.7])
    >>> make_biased_rankings(2, u, [0, 1, 0, 1], bias=0.5, dispersion=0.0).tolist()
    [[0, 2, 1, 3], [0, 2, 1, 3]]
    """
    if isinstance(n_rankings, bool) or not isinstance(n_rankings, numbers.Integral) \
            or n_rankings < 0:
        raise ValueError(f"n_rankings must be a non-negative integer; got {n_rankings!r}.")
    if isinstance(bias, bool) or not isinstance(bias, numbers.Real) or not 0 < bias <= 1:
        raise ValueError(f"bias (theta) must be in (0, 1]; got {bias!r}.")
    if noise not in _DEFAULT_DISPERSION:
        raise ValueError(f"noise must be 'mallows' or 'gaussian'; got {noise!r}.")
    u, flags = _check_utilities(utilities, item_groups, disadvantaged)
    if dispersion is None:
        dispersion = _DEFAULT_DISPERSION[noise]
    if isinstance(dispersion, bool) or not isinstance(dispersion, numbers.Real) \
            or not np.isfinite(dispersion) or dispersion < 0 \
            or (noise == "mallows" and dispersion > 1):
        raise ValueError(f"dispersion must be in [0, 1] for Mallows and >= 0 for Gaussian noise; "
                         f"got {dispersion!r}.")
    rng = make_generator(random_state, share=True)
    biased = np.where(flags, u * bias, u)
    m = u.size
    if noise == "mallows":
        center = np.lexsort((np.arange(m), -biased)).astype(np.int64)
        return mallows_rim(center, rng.random((int(n_rankings), m)), float(dispersion))
    noisy = biased[None, :] + float(dispersion) * rng.standard_normal((int(n_rankings), m))
    return np.argsort(-noisy, axis=1, kind="stable").astype(np.int64)


def quality_ratio(committee, unbiased_rankings, rule="k_borda", *, optimum=None, solver="auto"):
    """``f(committee) / max_S f(S)`` on unbiased rankings (the selection quality of the paper).

    Parameters
    ----------
    committee : array-like of int
    unbiased_rankings : ndarray of shape (n, m)
    rule : str or OWARule
    optimum : float, optional
        ``max_S f(S)`` if already known (saves solving it again).
    solver : str, default="auto"
        Solver for the optimum (see :class:`MultiwinnerSelector`).

    Returns
    -------
    ratio : float

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.selection import quality_ratio
    >>> rankings = np.array([[0, 1, 2, 3], [1, 0, 2, 3]])
    >>> round(quality_ratio([0, 2], rankings, "k_borda"), 4)  # (5 + 2) / (5 + 5)
    0.7
    """
    from ._selector import MultiwinnerSelector

    committee = np.asarray(committee)
    selector = MultiwinnerSelector(k=len(committee), rule=rule, solver=solver)
    selector.fit(unbiased_rankings)
    if optimum is None:
        optimum = selector.score(selector.select())
    if optimum <= 0:
        raise ValueError("The unbiased optimum is <= 0; the ratio is undefined.")
    return selector.score(committee) / optimum


def rankings_needed(rule, k, utilities, item_groups, *, bias, constraints="proportional",
                    target=0.95, disadvantaged=1, noise="mallows", dispersion=None,
                    n_grid=None, n_trials=10, n_eval=1000, solver="auto", random_state=None,
                    progress=None):
    """Estimate by simulation how many biased rankings a rule needs to reach ``target`` quality.

    For every trial: draw ``n_eval`` unbiased rankings (the reference) and ``max(n_grid)`` biased
    ones; stream the biased rankings into a :class:`MultiwinnerSelector` with ``constraints`` and
    into one without, select after ``n`` rankings for every ``n`` in ``n_grid``, and record the
    quality ratio ``f_unbiased(S_n) / max_S f_unbiased(S)``.

    Parameters
    ----------
    rule : str or OWARule
    k : int
    utilities, item_groups, bias, disadvantaged, noise, dispersion
        The bias model (see :func:`make_biased_rankings`).
    constraints : dict or "proportional", default="proportional"
        The fairness constraints of the constrained selector.
    target : float, default=0.95
        Quality ratio to reach.
    n_grid : sequence of int, optional
        Numbers of rankings; default powers of two 1, 2, 4, ..., 1024.
    n_trials : int, default=10
    n_eval : int, default=1000
        Unbiased reference rankings per trial.
    solver : str, default="auto"
    random_state : int, RandomState, Generator or None
    progress : bool, optional
        Progress bar over trials (default: only on a terminal).

    Returns
    -------
    result : dict
        ``"n_needed"``: ``{"constrained": n or None, "unconstrained": n or None}``, the smallest
        grid size whose mean ratio over trials reaches ``target`` (None: not within the grid);
        ``"curve"``: DataFrame with columns ``n_rankings, constrained, trial, ratio``;
        ``"summary"``: mean/std/min of the ratio per ``(constrained, n_rankings)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online.selection import rankings_needed
    >>> u = np.linspace(1, 0.05, 20)
    >>> groups = np.arange(20) % 2
    >>> res = rankings_needed("k_borda", 4, u, groups, bias=0.5, n_grid=[1, 8, 64],
    ...                       n_trials=2, n_eval=200, random_state=0)
    >>> sorted(res["n_needed"])
    ['constrained', 'unconstrained']
    """
    from ._selector import MultiwinnerSelector

    grid = np.array([2 ** i for i in range(11)] if n_grid is None else n_grid, dtype=np.int64)
    if grid.ndim != 1 or grid.size == 0 or np.any(grid < 1) or np.any(np.diff(grid) <= 0):
        raise ValueError("n_grid must be a non-empty increasing sequence of positive integers.")
    if not 0 < target <= 1:
        raise ValueError(f"target must be in (0, 1]; got {target!r}.")
    if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer; got {n_trials!r}.")
    rule = get_rule(rule)
    rng = make_generator(random_state, share=True)
    rows = []
    model = dict(disadvantaged=disadvantaged, noise=noise, dispersion=dispersion)
    for trial in progress_bar(range(n_trials), desc="rankings_needed", enable=progress):
        reference = make_biased_rankings(n_eval, utilities, item_groups, bias=1.0,
                                         random_state=rng, **model)
        judge = MultiwinnerSelector(k=k, rule=rule, solver=solver).fit(reference)
        optimum = judge.score(judge.select())
        biased = make_biased_rankings(int(grid[-1]), utilities, item_groups, bias=bias,
                                      random_state=rng, **model)
        for constrained in (True, False):
            sel = MultiwinnerSelector(k=k, rule=rule, solver=solver,
                                      constraints=constraints if constrained else None)
            start = 0
            for n in grid:
                sel.partial_fit(biased[start:n], item_groups=item_groups)
                start = n
                ratio = judge.score(sel.select()) / optimum
                rows.append(dict(n_rankings=int(n), constrained=constrained, trial=trial,
                                 ratio=ratio))
    curve = pd.DataFrame(rows)
    summary = (curve.groupby(["constrained", "n_rankings"])["ratio"]
               .agg(["mean", "std", "min"]).reset_index())
    needed = {}
    for constrained, label in ((True, "constrained"), (False, "unconstrained")):
        part = summary[summary["constrained"] == constrained]
        hit = part[part["mean"] >= target - 1e-12]
        needed[label] = int(hit["n_rankings"].min()) if len(hit) else None
    return {"n_needed": needed, "curve": curve, "summary": summary}
