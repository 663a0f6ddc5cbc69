"""Prequential (test-then-train) evaluation of streaming estimators.

See ``docs/user_guide/protocol.md`` ("Prequential evaluation").
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from .base import _n_rows, check_sensitive_features, check_target
from .metrics import StreamingMetricFrame
from .metrics._group_counts import _group_name
from .utils import progress_bar

__all__ = ["prequential"]


def _take(data, idx):
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[idx]
    if isinstance(data, (list, tuple)):  # rows of a plain list stay a list (same labels, types)
        return [data[i] for i in np.asarray(idx).tolist()]
    return data[idx]


def prequential(estimator, X, y, *, sensitive_features=None, metrics=None, every=1000,
                classes=None, chunk_size=1, return_predictions=False, progress=None,
                pos_label=None, delay=None):
    """Predict each sample before learning from it and report running metrics.

    Estimators with ``partial_fit_predict`` (all of this library's) are fed chunks of ``every``
    samples and predict each sample inside the chunk before learning it, in compiled code.
    Other estimators with ``partial_fit`` (e.g. scikit-learn's ``SGDClassifier``) predict blocks of
    ``chunk_size`` samples with the model as it was before the block, then learn the block;
    ``chunk_size=1`` (the default) is the exact test-then-train protocol. Before any training such
    an estimator cannot predict; its very first block is predicted as ``classes[0]`` (0.0 for a
    regressor).

    With ``delay``, the label of sample ``i`` arrives ``delay`` (or ``delay[i]``) samples after
    its prediction, as in river's ``progressive_val_score(delay=...)``: the model learns sample
    ``i`` and the metrics score its prediction only then, after the prediction of sample
    ``i + delay[i]`` (labels still pending when the stream ends arrive at its end). Every
    estimator then predicts blocks of ``chunk_size`` samples and learns the labels arriving
    inside each block (exact for ``chunk_size=1``). The demographic-parity difference needs no
    label and is also reported at prediction time (column
    ``demographic_parity_difference_at_prediction``); the equalized-odds metrics need the label
    and are scored when it arrives (``docs/user_guide/monitoring.md``).

    The default report is computed by a :class:`~fairlearn_online.metrics.StreamingMetricFrame`.

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
        (``fairlearn_online.metrics``). Default for a classifier: accuracy, selection rate,
        demographic parity difference and ratio, equalized odds difference, and per group the
        selection, true and false positive rates; for a regressor: mean squared and absolute
        error, mean prediction, the between-group differences of the mean prediction and of
        the mean squared error, and per group the mean prediction and mean squared error.
    every : int, default=1000
        Report the metrics every ``every`` samples (and after the last one).
    classes : array-like, optional
        All labels, passed to the first ``partial_fit`` of a classifier; default ``np.unique(y)``.
    chunk_size : int, default=1
        Block size for estimators without ``partial_fit_predict``, and for every estimator when
        ``delay`` is given.
    return_predictions : bool, default=False
        Also return the array of prequential predictions.
    progress : bool, optional
        Progress bar; default: only on a terminal.
    pos_label : scalar, optional
        The label counted as positive (selected) by the default report of a classifier.
        Default: the last of the sorted classes (``classes_[-1]``), e.g. ``1`` for {0, 1},
        ``2`` for {0, 2}, ``">50K"`` for {``"<=50K"``, ``">50K"``}.
    delay : int or array-like of int of shape (n_samples,), optional
        Label delay in samples (non-negative). ``None``: the label arrives right after the
        prediction (``delay=0`` is the same protocol).

    Returns
    -------
    curve : DataFrame
        One row per report with ``n_samples`` (predictions made) and the metrics computed over
        all labelled predictions so far; with ``delay`` also ``n_labelled``.
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
    arrival = _check_delay(delay, n)
    first_kwargs = {}
    classifier = is_classifier(estimator)
    if classifier:
        first_kwargs["classes"] = np.unique(y_arr) if classes is None else np.asarray(classes)
        known = getattr(estimator, "classes_", first_kwargs["classes"])
        if pos_label is None:
            pos_label = known[-1]
        elif pos_label not in set(np.asarray(known).tolist()):
            raise ValueError(f"pos_label={pos_label!r} is not one of the classes "
                             f"{np.asarray(known).tolist()}.")
    elif pos_label is not None:
        raise ValueError("pos_label applies to classifiers only; "
                         f"{type(estimator).__name__} is not a classifier.")
    if metrics is None:
        metric_objects = {"report": _DefaultReport(classifier, pos_label)}
    else:
        metric_objects = dict(metrics)
    at_prediction = _DefaultReport(classifier, pos_label) if arrival is not None else None
    own_protocol = hasattr(estimator, "partial_fit_predict") and arrival is None

    def report_row(n_done, n_labelled):
        row = {"n_samples": int(n_done)}
        if arrival is not None:
            row["n_labelled"] = int(n_labelled)
        for name, metric in metric_objects.items():
            try:
                value = metric.get()
            except ValueError:  # no label arrived yet
                value = {} if isinstance(metric, _DefaultReport) else np.nan
            if isinstance(value, dict):
                row.update({k: v for k, v in value.items() if k != "n_samples"})
            else:
                row[name] = value
        if at_prediction is not None:
            row[at_prediction.prediction_time_key] = at_prediction.gap()
        return row

    rows, predictions = [], []
    bounds = list(range(0, n, every)) + [n]
    bar = progress_bar(range(len(bounds) - 1), desc="prequential", enable=progress)
    if arrival is not None:
        state = _DelayedState(estimator, X, y_arr, sensitive_features, arrival, chunk_size,
                              first_kwargs, metric_objects, at_prediction)
        for b in bar:
            predictions.append(state.run(bounds[b], bounds[b + 1]))
            if b == len(bounds) - 2:
                state.finish()
            rows.append(report_row(bounds[b + 1], state.n_labelled))
    else:
        for b in bar:
            idx = np.arange(bounds[b], bounds[b + 1])
            Xc, yc, sc = _take(X, idx), y_arr[idx], _take(sensitive_features, idx)
            kwargs = first_kwargs if b == 0 else {}
            if own_protocol:
                y_pred = np.asarray(estimator.partial_fit_predict(Xc, yc, sensitive_features=sc,
                                                                  **kwargs))
            else:
                y_pred = _block_test_then_train(estimator, Xc, yc, sc, chunk_size, kwargs,
                                                first=b == 0,
                                                classes=first_kwargs.get("classes"))
            predictions.append(y_pred)
            for metric in metric_objects.values():
                metric.update(yc, y_pred, sc)
            rows.append(report_row(bounds[b + 1], bounds[b + 1]))
    curve = pd.DataFrame(rows)
    if return_predictions:
        return curve, np.concatenate(predictions)
    return curve


def _check_delay(delay, n):
    """Arrival index of every label (``i + delay[i]``), or None for no delay."""
    if delay is None:
        return None
    if isinstance(delay, numbers.Integral) and not isinstance(delay, bool):
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay}.")
        return np.arange(n, dtype=np.int64) + int(delay)
    arr = np.asarray(delay)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"delay must be an integer or an array of {n} integers (one per "
                         f"sample), got shape {arr.shape}.")
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"delay must hold integers, got dtype {arr.dtype}.")
    if n and arr.min() < 0:
        raise ValueError("delay must be >= 0 for every sample.")
    return np.arange(n, dtype=np.int64) + arr.astype(np.int64)


class _DefaultReport:
    """The default prequential report, computed by one StreamingMetricFrame."""

    CLASSIFIER = ["accuracy", "selection_rate", "true_positive_rate", "false_positive_rate"]
    REGRESSOR = ["mean_squared_error", "mean_absolute_error", "mean_prediction"]

    def __init__(self, classifier, pos_label):
        self.classifier = classifier
        names = self.CLASSIFIER if classifier else self.REGRESSOR
        self.frame = StreamingMetricFrame(names + ["count"],
                                          pos_label=1 if pos_label is None else pos_label)
        self.prediction_time_key = ("demographic_parity_difference_at_prediction" if classifier
                                    else "mean_prediction_difference_at_prediction")

    def update(self, y_true, y_pred, sensitive_features):
        if sensitive_features is None:
            sensitive_features = np.zeros(len(y_pred), dtype=np.int64)
        self.frame.update(y_true, y_pred, sensitive_features=sensitive_features)
        return self

    def gap(self):
        if self.frame.n_rows_seen_ == 0:
            return np.nan
        column = "selection_rate" if self.classifier else "mean_prediction"
        return float(self.frame.difference()[column])

    def get(self) -> dict:
        frame = self.frame
        overall, by_group = frame.overall, frame.by_group
        diff, ratio = frame.difference(), frame.ratio()
        out = {"n_samples": float(overall["count"])}
        if self.classifier:
            out.update({
                "accuracy": overall["accuracy"], "selection_rate": overall["selection_rate"],
                "demographic_parity_difference": diff["selection_rate"],
                "demographic_parity_ratio": ratio["selection_rate"],
                "equalized_odds_difference": max(diff["true_positive_rate"],
                                                 diff["false_positive_rate"]),
            })
            per_group = ["selection_rate", "true_positive_rate", "false_positive_rate"]
        else:
            out.update({
                "mean_squared_error": overall["mean_squared_error"],
                "mean_absolute_error": overall["mean_absolute_error"],
                "mean_prediction": overall["mean_prediction"],
                "mean_prediction_difference": diff["mean_prediction"],
                "mean_squared_error_difference": diff["mean_squared_error"],
            })
            per_group = ["mean_prediction", "mean_squared_error"]
        present = by_group["count"] > 0
        for name in per_group:
            for group, value in by_group.loc[present, name].items():
                out[f"{name}[{_group_name(group)}]"] = float(value)
        return {k: float(v) for k, v in out.items()}


class _DelayedState:
    """Test-then-train with delayed labels, block by block (see :func:`prequential`)."""

    def __init__(self, estimator, X, y, sensitive, arrival, chunk_size, first_kwargs, metrics,
                 at_prediction):
        self.estimator, self.X, self.y, self.sensitive = estimator, X, y, sensitive
        self.arrival, self.chunk_size, self.first_kwargs = arrival, chunk_size, first_kwargs
        self.metrics, self.at_prediction = metrics, at_prediction
        self.y_pred = None
        self.n_labelled = 0
        self.learned_once = False
        # labels in order of arrival (ties: sample order)
        self.order = np.argsort(arrival, kind="stable")
        self.accepts_sensitive = _accepts_sensitive_features(estimator)

    def _predict(self, idx):
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        est = self.estimator
        try:
            check_is_fitted(est)
            kwargs = ({"sensitive_features": _take(self.sensitive, idx)}
                      if _predict_accepts_sensitive(est) and self.sensitive is not None else {})
            return np.asarray(est.predict(_take(self.X, idx), **kwargs))
        except NotFittedError:
            classes = self.first_kwargs.get("classes")
            return np.full(len(idx), classes[0] if classes is not None else 0.0)

    def _learn(self, idx):
        for start in range(0, len(idx), self.chunk_size):  # at most chunk_size rows per call
            self._learn_block(idx[start:start + self.chunk_size])

    def _learn_block(self, idx):
        y_pred = self.y_pred[idx]
        sens = _take(self.sensitive, idx)
        for metric in self.metrics.values():
            metric.update(self.y[idx], y_pred, sens)
        kwargs = {} if self.learned_once else dict(self.first_kwargs)
        if self.accepts_sensitive:
            kwargs["sensitive_features"] = sens
        self.estimator.partial_fit(_take(self.X, idx), self.y[idx], **kwargs)
        self.learned_once = True
        self.n_labelled += len(idx)

    def run(self, start, stop):
        out = []
        for a in range(start, stop, self.chunk_size):
            b = min(a + self.chunk_size, stop)
            idx = np.arange(a, b)
            pred = self._predict(idx)
            if self.y_pred is None:
                self.y_pred = np.empty(len(self.y), dtype=pred.dtype if pred.dtype.kind != "U"
                                       else object)
            self.y_pred[idx] = pred
            if self.at_prediction is not None:
                self.at_prediction.update(pred, pred, _take(self.sensitive, idx))
            out.append(pred)
            # labels arriving after the predictions of this block
            lo = np.searchsorted(self.arrival[self.order], a, side="left")
            hi = np.searchsorted(self.arrival[self.order], b - 1, side="right")
            self._learn(self.order[lo:hi])
        return np.concatenate(out)

    def finish(self):
        """Labels still pending when the stream ends arrive now."""
        n = len(self.y)
        lo = np.searchsorted(self.arrival[self.order], n, side="left")
        self._learn(self.order[lo:])


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


def _predict_accepts_sensitive(estimator) -> bool:
    import inspect

    try:
        return "sensitive_features" in inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError):
        return False


def _accepts_sensitive_features(estimator) -> bool:
    import inspect

    try:
        return "sensitive_features" in inspect.signature(estimator.partial_fit).parameters
    except (TypeError, ValueError):
        return False
