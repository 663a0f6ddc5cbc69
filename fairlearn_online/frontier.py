"""Accuracy-fairness frontiers of any estimator with a fairness knob, and an attainable limit.

:func:`fairness_frontier` sweeps one parameter of an estimator (this library's
``fairness_weight``, the ``eps`` of fairlearn's reductions, the threshold of a scikit-learn
model wrapped to expose one...) and returns a tidy :class:`FrontierFrame` with one row per
value and seed, the Pareto-optimal values marked, and a ``.plot(limit=...)``.

:func:`postprocessing_limit` is the reference drawn with it: the best fair classifier that can
be learned from the features, estimated out of sample. An offline model is fitted on one part
of the data, its optimal fair randomized post-processing (a linear program over quantile cells
of its score and the group, :func:`~fairlearn_online.optimum.fairness_limit`) is fitted on
the same part with out-of-fold scores, and the result is evaluated on the other part; the
parts are swapped and averaged (cross-fitting), so the curve is comparable with a prequential
or held-out accuracy.
With ``in_sample=True`` it is instead the linear program's optimum over the cells of an
out-of-fold score on the whole data: the tighter theoretical reference (no post-processing of
these cells does better on this data), not attainable out of sample. See
``docs/user_guide/optimum.md``.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import pandas as pd
from sklearn.base import clone

__all__ = ["FrontierFrame", "fairness_frontier", "postprocessing_limit", "pareto_mask"]

PROTOCOLS = ("prequential", "holdout")
_X, _Y = "demographic_parity_difference", "accuracy"


def pareto_mask(disparity, accuracy):
    """``True`` where no other point has both a lower-or-equal disparity and a higher-or-equal
    accuracy with one of them strict (the Pareto-optimal points of a frontier).

    Parameters
    ----------
    disparity, accuracy : array-like of shape (n_points,)
        Each point's disparity (lower is fairer) and accuracy.

    Returns
    -------
    mask : ndarray of bool of shape (n_points,)

    Examples
    --------
    >>> from fairlearn_online.frontier import pareto_mask
    >>> pareto_mask([0.1, 0.2, 0.15], [0.80, 0.85, 0.79]).tolist()
    [True, True, False]
    """
    d = np.asarray(disparity, dtype=float)
    a = np.asarray(accuracy, dtype=float)
    if d.shape != a.shape or d.ndim != 1:
        raise ValueError("disparity and accuracy must be 1-D arrays of the same length.")
    keep = np.ones(d.size, dtype=bool)
    for i in range(d.size):
        dominated = (d <= d[i]) & (a >= a[i]) & ((d < d[i]) | (a > a[i]))
        keep[i] = not dominated.any()
    return keep


class FrontierFrame(pd.DataFrame):
    """A tidy frontier: one row per ``value`` and ``seed`` with ``accuracy``,
    ``demographic_parity_difference``, ``equalized_odds_difference`` and ``pareto_optimal``
    (of the value's mean over seeds). ``attrs["param"]`` names the swept parameter.

    Parameters
    ----------
    data, index, columns, dtype, copy
        As :class:`pandas.DataFrame`.
    """

    @property
    def _constructor(self):
        return FrontierFrame

    def summary(self):
        """Mean and standard deviation over seeds per value, with ``pareto_optimal``."""
        from .plotting import summarize_over_seeds

        out = summarize_over_seeds(pd.DataFrame(self), by=["value"],
                                   metrics=[_Y, _X, "equalized_odds_difference"])
        out["pareto_optimal"] = pareto_mask(out[f"{_X}_mean"], out[f"{_Y}_mean"])
        return out

    def plot(self, limit=None, *, ax=None, label=None, color=None, annotate=True):
        """Mean +- sd over seeds per value, the Pareto-optimal values ringed, ``limit`` (a
        frame with ``demographic_parity_difference`` and ``accuracy``, e.g. from
        :func:`postprocessing_limit`) as a dashed line.

        Returns
        -------
        ax : matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.6))
        summ = self.summary().sort_values(f"{_X}_mean")
        param = self.attrs.get("param", "value")
        n_seeds = int(summ["n_seeds"].max())
        bars = ax.errorbar(summ[f"{_X}_mean"], summ[f"{_Y}_mean"],
                           xerr=summ[f"{_X}_std"].fillna(0), yerr=summ[f"{_Y}_std"].fillna(0),
                           marker="o", ms=4, capsize=2, lw=1.2, color=color,
                           label=label or f"{param} sweep (mean ± sd, {n_seeds} seeds)")
        best = summ[summ["pareto_optimal"]]
        ax.plot(best[f"{_X}_mean"], best[f"{_Y}_mean"], "o", ms=10, mfc="none",
                color=bars[0].get_color(), label="Pareto-optimal")
        if annotate:
            for _, row in summ.iterrows():
                ax.annotate(f"{row['value']:g}", (row[f"{_X}_mean"], row[f"{_Y}_mean"]),
                            textcoords="offset points", xytext=(4, 4), fontsize=7)
        if limit is not None and len(limit):
            limit_label = getattr(limit, "attrs", {}).get("label", "limit")
            limit = pd.DataFrame(limit).sort_values(_X)
            ax.plot(limit[_X], limit[_Y], "k--", lw=1.3, label=limit_label)
        ax.set(xlabel="demographic parity difference", ylabel="accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return ax


def _accepts(method, name):
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _scores(y_true, y_pred, groups):
    from .metrics import demographic_parity_difference, equalized_odds_difference

    return {_Y: float(np.mean(y_true == y_pred)),
            _X: float(demographic_parity_difference(y_true, y_pred, sensitive_features=groups)),
            "equalized_odds_difference": float(
                equalized_odds_difference(y_true, y_pred, sensitive_features=groups))}


def _one_point(estimator, param, value, seed, X, y, groups, protocol, test_size):
    est = clone(estimator).set_params(**{param: value})
    if "random_state" in est.get_params() and param != "random_state":
        est.set_params(random_state=seed)
    rng = np.random.default_rng(seed)
    if protocol == "prequential":
        from .evaluate import prequential

        order = rng.permutation(len(y))
        curve = prequential(est, X[order], y[order], sensitive_features=groups[order],
                            every=len(y), progress=False)
        last = curve.iloc[-1]
        return {_Y: float(last[_Y]), _X: float(last[_X]),
                "equalized_odds_difference": float(last["equalized_odds_difference"])}
    from sklearn.model_selection import train_test_split

    tr, te = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y,
                              random_state=int(rng.integers(2**31 - 1)))
    kwargs = {"sensitive_features": groups[tr]} if _accepts(est.fit, "sensitive_features") else {}
    est.fit(X[tr], y[tr], **kwargs)
    pkw = ({"sensitive_features": groups[te]}
           if _accepts(est.predict, "sensitive_features") else {})
    return _scores(y[te], np.asarray(est.predict(X[te], **pkw)), groups[te])


def fairness_frontier(estimator, param, values, X, y, *, sensitive_features,
                      protocol="prequential", seeds=5, n_jobs=1, backend="loky",
                      test_size=0.3):
    """Sweep ``param`` of ``estimator`` over ``values``: accuracy and parity of each.

    Parameters
    ----------
    estimator : estimator
        Any scikit-learn compatible classifier; cloned for every point. If it has a
        ``random_state`` parameter, the point's seed is set there.
    param : str
        The fairness knob, e.g. ``"fairness_weight"`` (this library), ``"eps"``
        (fairlearn's ``ExponentiatedGradient``), or any parameter of ``estimator``.
    values : sequence
        The values of ``param``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,)
        The protected group of each row.
    protocol : {"prequential", "holdout"}, default="prequential"
        ``"prequential"``: one test-then-train pass
        (:func:`~fairlearn_online.evaluate.prequential`) over the rows in a random order per
        seed (needs ``partial_fit``).
        ``"holdout"``: ``fit`` on a stratified random ``1 - test_size`` of the rows per seed
        (with ``sensitive_features`` when ``fit`` accepts it, as fairlearn's reductions),
        scores on the rest.
    seeds : int or sequence of int, default=5
        ``int``: seeds ``0 .. seeds - 1``.
    n_jobs : int, default=1
        Parallel points (joblib).
    backend : {"loky", "dask"}, default="loky"
        joblib backend (``"dask"`` needs a running ``distributed.Client``).
    test_size : float, default=0.3
        Held-out share with ``protocol="holdout"``.

    Returns
    -------
    frame : FrontierFrame
        Columns ``param``, ``value``, ``seed``, ``accuracy``,
        ``demographic_parity_difference``, ``equalized_odds_difference``, ``pareto_optimal``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fairlearn_online.frontier import fairness_frontier
    >>> rng = np.random.default_rng(0)
    >>> g = rng.integers(0, 2, 400)
    >>> X = np.column_stack([rng.normal(size=400) + g, g])
    >>> y = (X[:, 0] + rng.normal(size=400) > 0.5).astype(int)
    >>> frame = fairness_frontier(LogisticRegression(), "C", [0.01, 1.0], X, y,
    ...                           sensitive_features=g, protocol="holdout", seeds=2)
    >>> frame.shape[0], sorted(frame.columns)[:3]
    (4, ['accuracy', 'demographic_parity_difference', 'equalized_odds_difference'])
    """
    import joblib

    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}.")
    if backend not in ("loky", "dask"):
        raise ValueError(f"backend must be 'loky' or 'dask', got {backend!r}.")
    if not isinstance(param, str) or param not in estimator.get_params():
        raise ValueError(f"param must name a parameter of {type(estimator).__name__}, "
                         f"got {param!r}.")
    values = list(values)
    if not values:
        raise ValueError("values must not be empty.")
    if isinstance(seeds, numbers.Integral):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}.")
        seeds = list(range(int(seeds)))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty.")
    if protocol == "prequential" and not hasattr(estimator, "partial_fit"):
        raise TypeError(f"protocol='prequential' needs partial_fit; {type(estimator).__name__} "
                        "has none: use protocol='holdout'.")
    if not 0.0 < float(test_size) < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}.")
    X = np.asarray(X) if not hasattr(X, "iloc") else X.to_numpy()
    y = np.asarray(y).ravel()
    groups = np.asarray(sensitive_features)
    if groups.ndim > 1 and groups.shape[1] == 1:
        groups = groups.ravel()
    if len(X) != len(y) or len(groups) != len(y):
        raise ValueError(f"X, y and sensitive_features must have the same number of rows; got "
                         f"{len(X)}, {len(y)} and {len(groups)}.")
    jobs = [(v, s) for s in seeds for v in values]
    with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
        rows = joblib.Parallel()(
            joblib.delayed(_one_point)(estimator, param, v, s, X, y, groups, protocol,
                                       float(test_size)) for v, s in jobs)
    frame = FrontierFrame([{"param": param, "value": v, "seed": s, **r}
                           for (v, s), r in zip(jobs, rows)])
    frame.attrs["param"] = param
    means = frame.groupby("value", sort=False)[[_X, _Y]].mean()
    best = pd.Series(pareto_mask(means[_X], means[_Y]), index=means.index)
    frame["pareto_optimal"] = frame["value"].map(best).astype(bool)
    return frame


def _cells(scores, edges, groups):
    return np.column_stack([np.searchsorted(edges, scores, side="right"), groups])


def postprocessing_limit(X, y, *, sensitive_features, model=None, n_bins=20, n_splits=2,
                         eps_grid=None, n_points=21, in_sample=False, random_state=0):
    """Accuracy of the optimal fair post-processing of an offline model, out of sample.

    Every row gets an out-of-fold score (``model`` fitted on the other folds). For each fold,
    the optimal randomized post-processing under demographic-parity difference ``<= eps`` (the
    linear program of :func:`~fairlearn_online.optimum.fairness_limit` over ``n_bins``
    quantile cells of the score times the group) is fitted on the other folds' rows and
    applied to the fold's rows: neither the model nor the post-processing saw them. Accuracy
    and DP (of the randomized decision, in expectation) are averaged over folds for each
    ``eps``: an attainable curve, comparable with held-out or prequential accuracy.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary labels (0/1).
    sensitive_features : array-like of shape (n_samples,)
    model : classifier with predict_proba, optional
        Default ``HistGradientBoostingClassifier(random_state=0)``.
    n_bins : int, default=20
    n_splits : int, default=2
    eps_grid : array-like, optional
        DP bounds; default ``n_points`` values from 0 to 0.3.
    n_points : int, default=21
    in_sample : bool, default=False
        ``True``: the linear program's optimum over the cells of an out-of-fold score on the
        whole data (the tighter theoretical reference: no post-processing of these cells does
        better on this data; not attainable out of sample).
    random_state : int, default=0

    Returns
    -------
    curve : pandas.DataFrame
        Columns ``eps``, ``accuracy``, ``demographic_parity_difference`` (achieved; out of
        sample it may exceed ``eps``); ``attrs["label"]`` describes it.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    from .optimum import fairness_limit_curve, quantile_cells
    from .optimum._limits import _Limit

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if set(np.unique(y)) - {0, 1}:
        raise ValueError("y must be binary 0/1.")
    _, z = np.unique(np.asarray(sensitive_features, dtype=object).astype(str),
                     return_inverse=True)
    model = HistGradientBoostingClassifier(random_state=0) if model is None else model
    eps_grid = (np.linspace(0.0, 0.3, int(n_points)) if eps_grid is None
                else np.sort(np.asarray(eps_grid, dtype=np.float64)))
    # one model per fold, fitted on the other folds: out-of-fold scores of every row
    folds = list(StratifiedKFold(n_splits=n_splits, shuffle=True,
                                 random_state=random_state).split(X, y))
    scores = np.empty(len(y))
    for tr, te in folds:
        scores[te] = clone(model).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    if in_sample:
        cells = np.column_stack([quantile_cells(scores, n_bins=n_bins), z])
        curve = fairness_limit_curve(cells, z, y, eps_grid=eps_grid)
        curve = curve.rename(columns={"disparity": _X})[["eps", _Y, _X]]
        curve.attrs["label"] = (f"LP optimum over {n_bins} cells of an out-of-fold boosted "
                                "score x group (in-sample)")
        return curve
    acc = np.zeros((n_splits, eps_grid.size))
    dp = np.zeros((n_splits, eps_grid.size))
    for f, (tr, te) in enumerate(folds):
        # the post-processing is fitted on the other folds' rows (their out-of-fold scores,
        # from models that never saw them) and applied to this fold's scores
        edges = np.unique(np.quantile(scores[tr], np.linspace(0, 1, int(n_bins) + 1)[1:-1]))
        problem = _Limit(_cells(scores[tr], edges, z[tr]), z[tr], y[tr], "demographic_parity",
                         1, None, None)
        lookup = {tuple(int(v) for v in c): i for i, c in enumerate(problem.cell_labels)}
        cte = _cells(scores[te], edges, z[te])
        idx = np.array([lookup.get(tuple(int(v) for v in row), -1) for row in cte])
        for e, eps in enumerate(eps_grid):
            t = problem.solve(eps).decision
            # a test cell never seen in training (rare) gets its group's mean decision
            tt = np.where(idx >= 0, t[np.maximum(idx, 0)], np.nan)
            for g in np.unique(z[te]):
                miss = np.isnan(tt) & (z[te] == g)
                if miss.any():
                    seen = tt[(z[te] == g) & ~np.isnan(tt)]
                    tt[miss] = seen.mean() if seen.size else 0.0
            yt = y[te]
            acc[f, e] = float(np.mean(tt * yt + (1 - tt) * (1 - yt)))
            rates = [tt[z[te] == g].mean() for g in np.unique(z[te])]
            dp[f, e] = float(max(rates) - min(rates))
    curve = pd.DataFrame({"eps": eps_grid, _Y: acc.mean(axis=0), _X: dp.mean(axis=0)})
    curve.attrs["label"] = (f"optimal fair post-processing of a boosted model "
                            f"({n_splits}-fold cross-fitted, out of sample)")
    return curve
