"""Prequential (test-then-train) evaluation of streaming estimators (DESIGN.md section 0)."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from .base import _n_rows, check_sensitive_features, check_target
from .metrics import FairnessReport
from .utils import progress_bar

__all__ = ["prequential"]


def _take(data, idx):
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[idx]
    return data[idx]


def prequential(estimator, X, y, *, sensitive_features=None, metrics=None, every=1000,
                classes=None, chunk_size=1, return_predictions=False, progress=None):
    """Predict each sample before learning from it and report running metrics.

    Estimators with ``partial_fit_predict`` (all of this library's) are fed chunks of ``every``
    samples and predict each sample inside the chunk before learning it, in compiled code.
    Other estimators with ``partial_fit`` (e.g. scikit-learn's ``SGDClassifier``) predict blocks of
    ``chunk_size`` samples with the model as it was before the block, then learn the block;
    ``chunk_size=1`` (the default) is the exact test-then-train protocol. Before any training such
    an estimator cannot predict; its very first block is predicted as ``classes[0]``.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Used as is (not cloned): it continues from its current state.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes), optional
        Forwarded to the estimator and used to compute the group metrics; ``None`` means a single
        group (group metrics are then 0).
    metrics : dict of str to streaming metric, optional
        Objects with ``update(y_true, y_pred, sensitive_features)`` and ``get()``
        (``fairlearn_online.metrics``). Default: :class:`~fairlearn_online.metrics.FairnessReport`,
        whose keys become columns (accuracy, demographic parity difference and ratio, equalized
        odds difference, per-group selection, true and false positive rates).
    every : int, default=1000
        Report the metrics every ``every`` samples (and after the last one).
    classes : array-like, optional
        All labels, passed to the first ``partial_fit`` of a classifier; default ``np.unique(y)``.
    chunk_size : int, default=1
        Block size for estimators without ``partial_fit_predict``.
    return_predictions : bool, default=False
        Also return the array of prequential predictions.
    progress : bool, optional
        Progress bar; default: only on a terminal.

    Returns
    -------
    curve : DataFrame
        One row per report with ``n_samples`` and the metrics computed over all predictions made
        so far.
    y_pred : ndarray of shape (n_samples,)
        Only with ``return_predictions=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from fairlearn_online.evaluate import prequential
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3)); y = (X[:, 0] > 0).astype(int)
    >>> group = rng.choice(["a", "b"], size=400)
    >>> curve = prequential(SGDClassifier(loss="log_loss", random_state=0), X, y,
    ...                     sensitive_features=group, every=200)
    >>> curve[["n_samples", "accuracy"]].shape
    (2, 2)
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(f"estimator must have partial_fit; {type(estimator).__name__} has not.")
    for name, value in (("every", every), ("chunk_size", chunk_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    n = _n_rows(X)
    if n <= 0:
        raise ValueError(f"X must have at least one row, got {n}.")
    y_arr = check_target(y, n)
    if sensitive_features is not None:
        check_sensitive_features(sensitive_features, n)
    metric_objects = {"report": FairnessReport()} if metrics is None else dict(metrics)
    first_kwargs = {}
    if is_classifier(estimator):
        first_kwargs["classes"] = np.unique(y_arr) if classes is None else np.asarray(classes)
    own_protocol = hasattr(estimator, "partial_fit_predict")

    rows, predictions = [], []
    bounds = list(range(0, n, every)) + [n]
    bar = progress_bar(range(len(bounds) - 1), desc="prequential", enable=progress)
    for b in bar:
        idx = np.arange(bounds[b], bounds[b + 1])
        Xc, yc, sc = _take(X, idx), y_arr[idx], _take(sensitive_features, idx)
        kwargs = first_kwargs if b == 0 else {}
        if own_protocol:
            y_pred = np.asarray(estimator.partial_fit_predict(Xc, yc, sensitive_features=sc,
                                                              **kwargs))
        else:
            y_pred = _block_test_then_train(estimator, Xc, yc, sc, chunk_size, kwargs,
                                            first=b == 0, classes=first_kwargs.get("classes"))
        predictions.append(y_pred)
        row = {"n_samples": int(bounds[b + 1])}
        for name, metric in metric_objects.items():
            metric.update(yc, y_pred, sc)
            value = metric.get()
            if isinstance(value, dict):
                row.update({k: v for k, v in value.items() if k != "n_samples"})
            else:
                row[name] = value
        rows.append(row)
    curve = pd.DataFrame(rows)
    if return_predictions:
        return curve, np.concatenate(predictions)
    return curve


def _block_test_then_train(estimator, X, y, sensitive, chunk_size, first_kwargs, *, first,
                           classes):
    """Test-then-train for an estimator without ``partial_fit_predict``."""
    from sklearn.utils.validation import check_is_fitted
    from sklearn.exceptions import NotFittedError

    out = []
    accepts_sensitive = _accepts_sensitive_features(estimator)
    for start in range(0, len(y), chunk_size):
        idx = np.arange(start, min(start + chunk_size, len(y)))
        Xb, yb, sb = _take(X, idx), y[idx], _take(sensitive, idx)
        try:
            check_is_fitted(estimator)
            pred = np.asarray(estimator.predict(Xb))
        except NotFittedError:
            default = classes[0] if classes is not None else 0
            pred = np.full(len(idx), default)
        out.append(pred)
        kwargs = first_kwargs if (first and start == 0) else {}
        if accepts_sensitive:
            kwargs = {**kwargs, "sensitive_features": sb}
        estimator.partial_fit(Xb, yb, **kwargs)
    return np.concatenate(out)


def _accepts_sensitive_features(estimator) -> bool:
    import inspect

    try:
        return "sensitive_features" in inspect.signature(estimator.partial_fit).parameters
    except (TypeError, ValueError):
        return False
