"""Confidence intervals and anytime-valid confidence sequences for rates and their gaps.

Fixed-time intervals (valid at one pre-chosen look):

* :func:`wilson_interval`: the Wilson score interval for a binomial rate;
* :func:`clopper_pearson_interval`: the Clopper-Pearson ("exact") interval, whose coverage is
  at least the nominal level at every rate and sample size;
* :func:`binomial_coverage`: the exact coverage of such an interval at given rates, from the
  binomial distribution (no simulation);
* :func:`newcombe_interval`: Newcombe's hybrid score interval for a difference of two
  independent rates (Newcombe 1998, "Interval estimation for the difference between
  independent proportions", Statistics in Medicine 17, method 10), built from the two Wilson
  intervals.

Anytime-valid confidence sequences (:func:`confidence_sequence`) hold *simultaneously at every
sample size*, so a monitor may look after every event and stop whenever it likes. The
construction is the two-sided normal-mixture boundary of Howard, Ramdas, McAuliffe and Sekhon,
"Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics 49
(2021), for sub-Gaussian increments: a Bernoulli(p) observation minus p is sub-Gaussian with
variance proxy 1/4 (Hoeffding's lemma), so with ``S_n`` the sum of ``n`` centred observations
and ``V_n = n / 4``, the mixture of ``exp(lambda S_n - lambda^2 V_n / 2)`` over
``lambda ~ N(0, 1 / rho)`` is the nonnegative martingale
``sqrt(rho / (V_n + rho)) exp(S_n^2 / (2 (V_n + rho)))``. Ville's inequality bounds the chance
that it ever exceeds ``1 / alpha`` by ``alpha``, i.e.

    P(exists n: |S_n| >= sqrt((V_n + rho) log((V_n + rho) / (rho alpha^2)))) <= alpha.

Dividing by ``n`` gives the radius around the running rate. Validity needs the observations to
have the same conditional mean ``p`` given the past (e.g. i.i.d.); ``rho`` only moves where the
sequence is tightest (:func:`confidence_sequence` tunes it for ``tuned_n``), never its validity.
Gaps and ratios between groups are bounded from per-group intervals at level ``1 - alpha / k``
(Bonferroni over the ``k`` groups), which holds simultaneously for every group and hence for
the gap. See ``docs/user_guide/monitoring.md`` for the measured coverage.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import beta, binom, norm

from .._core.docstrings import fill_doc

__all__ = ["wilson_interval", "clopper_pearson_interval", "binomial_coverage",
           "newcombe_interval", "confidence_sequence",
           "normal_mixture_radius", "range_bounds", "ratio_bounds"]


def _check_level(level):
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}.")
    return float(level)


def _counts(successes, trials):
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(~np.isfinite(s)) or np.any(~np.isfinite(n)):
        raise ValueError("successes and trials must be finite.")
    if np.any(n < 0) or np.any(s < 0) or np.any(s > n * (1 + 1e-12)):
        raise ValueError("need 0 <= successes <= trials.")
    return s, n

#: the Parameters and Returns of the fixed-time intervals for one rate
_RATE_INTERVAL_SECTIONS = """
Parameters
----------
successes, trials : array-like
    Counts (``trials`` may be an effective sample size for weighted data).
level : float, default=0.95

Returns
-------
lower, upper : ndarray
    NaN where ``trials`` is 0.
"""


@fill_doc(rate_interval_sections=_RATE_INTERVAL_SECTIONS)
def wilson_interval(successes, trials, level=0.95):
    """Wilson score interval for a binomial rate.

    %(rate_interval_sections)s

    Examples
    --------
    >>> from fairlearn_online.metrics import wilson_interval
    >>> [round(float(v), 4) for v in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    s, n = _counts(successes, trials)
    z = norm.ppf(0.5 + _check_level(level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lower = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        upper = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lower, upper


@fill_doc(rate_interval_sections=_RATE_INTERVAL_SECTIONS)
def clopper_pearson_interval(successes, trials, level=0.95):
    """Clopper-Pearson ("exact") interval for a binomial rate.

    The inversion of the two one-sided binomial tests (Clopper and Pearson 1934, "The use of
    confidence or fiducial limits illustrated in the case of the binomial", Biometrika 26):
    ``lower = Beta(alpha / 2; s, n - s + 1)`` and ``upper = Beta(1 - alpha / 2; s + 1, n - s)``
    quantiles, ``lower = 0`` at ``s = 0`` and ``upper = 1`` at ``s = n``. Its coverage is at
    least ``level`` at every rate and every ``n`` (conservative: about 0.96-0.97 for 95% at
    ``n = 30 .. 100``), where Wilson's oscillates around ``level``
    (``docs/user_guide/monitoring.md``).

    %(rate_interval_sections)s

    Examples
    --------
    >>> from fairlearn_online.metrics import clopper_pearson_interval
    >>> [round(float(v), 4) for v in clopper_pearson_interval(5, 10)]
    [0.1871, 0.8129]
    """
    s, n = _counts(successes, trials)
    alpha = 1 - _check_level(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(s > 0, beta.ppf(alpha / 2, s, n - s + 1), 0.0)
        upper = np.where(s < n, beta.ppf(1 - alpha / 2, s + 1, n - s), 1.0)
    lower = np.where(n > 0, np.clip(np.nan_to_num(lower), 0, 1), np.nan)
    upper = np.where(n > 0, np.clip(np.nan_to_num(upper, nan=1.0), 0, 1), np.nan)
    return lower, upper


def binomial_coverage(interval, trials, rates, level=0.95):
    """Exact coverage of a binomial interval: ``P(lower(S) <= p <= upper(S))``, ``S ~ Bin(n, p)``.

    Parameters
    ----------
    interval : callable
        ``interval(successes, trials, level) -> (lower, upper)``, e.g. :func:`wilson_interval`.
    trials : int
        The sample size ``n`` (>= 1).
    rates : array-like
        The true rates ``p`` in [0, 1].
    level : float, default=0.95

    Returns
    -------
    ndarray
        The coverage at each rate (a sum over the ``n + 1`` outcomes, no simulation error).

    Examples
    --------
    >>> from fairlearn_online.metrics import binomial_coverage, clopper_pearson_interval
    >>> bool(binomial_coverage(clopper_pearson_interval, 30, [0.1, 0.5]).min() >= 0.95)
    True
    """
    if not isinstance(trials, numbers.Integral) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}.")
    rates = np.asarray(rates, dtype=float)
    if rates.ndim > 1 or np.any(~np.isfinite(rates)) or np.any((rates < 0) | (rates > 1)):
        raise ValueError("rates must be a 1-D array of values in [0, 1].")
    outcomes = np.arange(trials + 1)
    lower, upper = interval(outcomes, np.full(trials + 1, trials), level)
    rates = np.atleast_1d(rates)
    inside = (lower[None, :] <= rates[:, None]) & (rates[:, None] <= upper[None, :])
    return np.sum(binom.pmf(outcomes[None, :], trials, rates[:, None]) * inside, axis=1)


def newcombe_interval(successes1, trials1, successes2, trials2, level=0.95):
    """Newcombe's hybrid score interval for ``p1 - p2`` (Newcombe 1998, method 10).

    With ``(l_i, u_i)`` the Wilson intervals of the two rates, the interval is
    ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` to ``d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``.

    Parameters
    ----------
    successes1, trials1 : int or array-like of int
        Counts of the first rate ``p1 = successes1 / trials1``.
    successes2, trials2 : int or array-like of int
        Counts of the second rate.
    level : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    lower, upper : ndarray

    Examples
    --------
    >>> from fairlearn_online.metrics import newcombe_interval
    >>> [round(float(v), 4) for v in newcombe_interval(56, 70, 48, 80)]
    [0.0524, 0.3339]
    """
    s1, n1 = _counts(successes1, trials1)
    s2, n2 = _counts(successes2, trials2)
    l1, u1 = wilson_interval(s1, n1, level)
    l2, u2 = wilson_interval(s2, n2, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = s1 / n1, s2 / n2
    d = p1 - p2
    lower = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return np.maximum(lower, -1.0), np.minimum(upper, 1.0)


def _best_rho(tuned_n, alpha):
    """The mixture parameter that minimises the boundary at ``tuned_n`` observations."""
    v = tuned_n / 4.0

    def boundary(log_rho):
        return two_sided_normal_mixture_boundary(v, math.exp(log_rho), alpha)

    res = minimize_scalar(boundary, bounds=(math.log(v) - 12, math.log(v) + 6), method="bounded")
    return math.exp(res.x)


def two_sided_normal_mixture_boundary(intrinsic_time, rho, alpha):
    """``sqrt((V + rho) log((V + rho) / (rho alpha^2)))``: the two-sided normal-mixture boundary
    on ``|S_n|`` at intrinsic time ``V`` (Howard et al. 2021, Eq. (14); module docstring).

    Equal to the ``confseq`` package's ``normal_mixture_bound(V, alpha, v_opt, alpha,
    is_one_sided=False)`` at the same ``rho`` (``tests/test_intervals.py``); ``confseq`` sets
    ``rho`` by a closed-form approximation of the minimiser at ``v_opt``, :func:`_best_rho`
    minimises exactly.
    """
    v = np.asarray(intrinsic_time, dtype=np.float64)
    return np.sqrt((v + rho) * np.log((v + rho) / (rho * alpha * alpha)))


def normal_mixture_radius(trials, level=0.95, *, tuned_n=1000):
    """Radius of the anytime-valid sequence for a rate after ``trials`` Bernoulli observations.

    ``sqrt((n/4 + rho) log((n/4 + rho) / (rho alpha^2))) / n`` (module docstring; Howard et
    al. 2021), with ``rho`` tuned so the radius is smallest at ``tuned_n``.

    Parameters
    ----------
    trials : int or array-like of int
        Observations so far (``n``).
    level : float, default=0.95
        ``1 - alpha``: the sequence covers the rate at every ``n`` at once with this probability.
    tuned_n : int, default=1000
        The number of observations at which the radius is smallest.

    Returns
    -------
    ndarray
        ``inf`` where ``trials`` is 0.
    """
    alpha = 1 - _check_level(level)
    if isinstance(tuned_n, bool) or not isinstance(tuned_n, numbers.Real) or not tuned_n > 0:
        raise ValueError(f"tuned_n must be a positive number, got {tuned_n!r}.")
    rho = _best_rho(float(tuned_n), alpha)
    n = np.asarray(trials, dtype=np.float64)
    v = n / 4.0
    with np.errstate(invalid="ignore", divide="ignore"):
        radius = two_sided_normal_mixture_boundary(v, rho, alpha) / n
    return np.where(n > 0, radius, np.inf)


def confidence_sequence(successes, trials, level=0.95, *, tuned_n=1000):
    """Anytime-valid confidence sequence for a rate (normal mixture, Howard et al. 2021).

    With probability at least ``level`` the true rate lies inside the returned interval at
    *every* sample size simultaneously (module docstring).

    Parameters
    ----------
    successes, trials : array-like
        Unweighted counts.
    level : float, default=0.95
    tuned_n : float, default=1000
        Sample size where the sequence is tightest (does not affect validity).

    Returns
    -------
    lower, upper : ndarray
        ``(0, 1)`` where ``trials`` is 0.

    Examples
    --------
    >>> from fairlearn_online.metrics import confidence_sequence
    >>> [round(float(v), 4) for v in confidence_sequence(500, 1000)]
    [0.452, 0.548]
    """
    s, n = _counts(successes, trials)
    radius = normal_mixture_radius(n, level, tuned_n=tuned_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, s / np.where(n > 0, n, 1), 0.5)
    return np.clip(p - radius, 0, 1), np.clip(p + radius, 0, 1)


def range_bounds(lower, upper):
    """Bounds on ``max_g p_g - min_g p_g`` given every ``p_g`` in ``[lower_g, upper_g]``."""
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    return (max(0.0, float(np.max(lower) - np.min(upper))),
            float(np.max(upper) - np.min(lower)))


def ratio_bounds(lower, upper):
    """Bounds on ``min_g p_g / max_g p_g`` given every ``p_g`` in ``[lower_g, upper_g]``."""
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    top_u, top_l = float(np.max(upper)), float(np.max(lower))
    lo = float(np.min(lower)) / top_u if top_u > 0 else 0.0
    hi = min(1.0, float(np.min(upper)) / top_l) if top_l > 0 else 1.0
    return lo, hi
