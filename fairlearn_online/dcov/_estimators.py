"""Mini-batch estimators regularized by a distance-covariance penalty (docs/user_guide/dcov.md).

The model is a linear predictor or a one-hidden-layer perceptron, ``f(x) = W2 act(W1 x + b1) + b2``
(``hidden_layer_sizes=()``: ``f(x) = W x + b``). Each mini-batch ``B`` takes one optimizer step on

    loss_B + fairness_weight * penalty(yhat_B, S_B) + alpha/2 * ||weights||^2

where ``yhat`` is the prediction the penalty looks at (the probability of the positive class,
the mean for linear regression, the rate ``exp(f)`` per unit of exposure for Poisson) and the
penalty is the U-statistic of

* ``"dcov"``: ``sum_j dCov2(yhat, S_j)``, each protected attribute on its own;
* ``"jdcov"``: ``JdCov(yhat, S_1, ..., S_k; c=1)``, the joint distance covariance;
* ``"ccdcov"``: ``dCov2(yhat, [S_1, ..., S_k])``, the attributes concatenated (the paper's
  proposal),

attributes encoded by :func:`~fairlearn_online.dcov.encode_sensitive_features` (categorical
one-hot, binary 0/1, numeric standardized within the batch). Its gradient with respect to
``yhat`` (the ``*_grad`` functions) is chained through the output link and the network by hand
(back-propagation), so the penalty shapes the parameters, not only the outputs.
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples

from .._core.raw_numpy import c_einsum as _c_einsum
from .._core.estimator import Chunk, ChunkDocs
from .._core.deprecation import keyword_only_init
from .._core.events import event_group_key
from .._core.groups import check_stream_columns
from .._core.optim import adam_step, bias_corrections
from .._core.random import make_generator
from .._core.state import make_writeable
from .._core.validation import (NON_NEGATIVE, POSITIVE, POSITIVE_INT, InvalidParameterError,
                                StrOptions, check_frozen_params, validate_params)
from ..base import (
    StreamingClassifierMixin,
    StreamingEstimatorMixin,
    check_chunk_X,
    check_fitted,
    check_sensitive_features,
    check_target,
)
from .._core.docstrings import fill_doc
from ._stats import (
    VALUE_AND_GRADIENT_DOC,
    concatenated_distance_covariance_grad,
    distance_covariance_grad,
    encode_sensitive_features,
    joint_distance_covariance_grad,
)

__all__ = ["DCovRegularizedClassifier", "DCovRegularizedRegressor", "fairness_penalty_grad"]

PENALTIES = ("dcov", "jdcov", "ccdcov")


@fill_doc(value_and_gradient=VALUE_AND_GRADIENT_DOC)
def fairness_penalty_grad(yhat, sensitive_features, penalty="ccdcov", *, c=1.0):
    """Value and gradient (w.r.t. ``yhat``) of one of the three penalties on a batch.

    Parameters
    ----------
    yhat : array-like of shape (n_samples,)
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_attributes)
    penalty : {"dcov", "jdcov", "ccdcov"}, default="ccdcov"
        ``"dcov"``: sum over the attributes of ``dCov2_U(yhat, S_j)``; ``"jdcov"``:
        ``JdCov(yhat, S_1, ..., S_k; c)``; ``"ccdcov"``: ``dCov2_U(yhat, concat(S))``.
    c : float, default=1.0
        JdCov's constant.

    %(value_and_gradient)s

    Examples
    --------
    >>> from fairlearn_online.dcov import fairness_penalty_grad
    >>> value, grad = fairness_penalty_grad([0.2, 0.7, 0.4, 0.9, 0.1], [["F", 30], ["M", 50],
    ...                                      ["F", 41], ["M", 22], ["F", 60]], "dcov")
    >>> grad.shape
    (5,)
    """
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}.")
    yhat = np.asarray(yhat, dtype=np.float64)
    if penalty == "ccdcov":
        return concatenated_distance_covariance_grad(yhat, sensitive_features)
    blocks = encode_sensitive_features(sensitive_features, n_samples=len(yhat))
    blocks = [b for b in blocks if b["kind"] != "constant"]
    if not blocks:
        return 0.0, np.zeros(len(yhat))
    if penalty == "jdcov":
        return joint_distance_covariance_grad([yhat] + [b["values"] for b in blocks], c=c)
    value, grad = 0.0, np.zeros(len(yhat))
    for b in blocks:
        v, g = distance_covariance_grad(yhat, b["values"])
        value += v
        grad += g
    return value, grad


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _rowwise_matmul(X, W):
    """``X @ W`` with every row's sums in the same order for any number of rows."""
    return np.einsum("ij,jk->ik", X, W)


class _DCovRegularizedBase(StreamingEstimatorMixin, BaseEstimator):
    """Shared network, optimizer and penalty plumbing."""

    _n_outputs_fixed = None
    _finite_attributes = ("coefs_", "intercepts_")
    #: may change between chunks (``docs/user_guide/protocol.md``); the others are frozen
    _mutable_params = ("fairness_weight", "penalty", "learning_rate", "alpha", "batch_size",
                       "n_epochs", "shuffle")

    # ------------------------------------------------------------------ parameters
    _parameter_constraints = {
        "penalty": [StrOptions(set(PENALTIES))],
        "fairness_weight": [NON_NEGATIVE],
        "hidden_layer_sizes": [POSITIVE_INT, tuple, list],  # h, () or (h,): see the rules
        "activation": [StrOptions({"tanh", "relu"})],
        "batch_size": [POSITIVE_INT],
        "learning_rate": [POSITIVE],
        "solver": [StrOptions({"adam", "sgd"})],
        "alpha": [NON_NEGATIVE],
        "n_epochs": [POSITIVE_INT],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, penalty, fairness_weight, hidden_layer_sizes, activation, batch_size,
                 learning_rate, solver, alpha, n_epochs, shuffle, random_state):
        # the parameters both estimators share (their defaults are in their own signatures)
        self.penalty = penalty
        self.fairness_weight = fairness_weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.solver = solver
        self.alpha = alpha
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.random_state = random_state

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        return (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)

    def _check_param_rules(self):
        sizes = self._hidden_sizes()
        if len(sizes) > 1:
            raise InvalidParameterError(
                f"hidden_layer_sizes supports at most one hidden layer, got {sizes!r}.")
        for h in sizes:
            if not POSITIVE_INT.is_satisfied_by(h):
                raise InvalidParameterError(
                    f"hidden_layer_sizes[0] must be an integer >= 1; got {h!r}.")

    def _check_params(self):
        validate_params(self)
        return self._hidden_sizes()

    # ------------------------------------------------------------------ network
    def _init_network(self, n_features, n_outputs, sizes, rng):
        coefs, intercepts = [], []
        widths = [n_features, *sizes, n_outputs]
        for i in range(len(widths) - 1):
            fan_in, fan_out = widths[i], widths[i + 1]
            if len(sizes) == 0:
                W = np.zeros((fan_in, fan_out))  # convex model: start at 0
            else:  # Glorot uniform
                bound = np.sqrt(6.0 / (fan_in + fan_out))
                W = rng.uniform(-bound, bound, size=(fan_in, fan_out))
            coefs.append(W)
            intercepts.append(np.zeros(fan_out))
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        self._opt_t_ = 0
        self._opt_m_ = [np.zeros_like(p) for p in coefs + intercepts]
        self._opt_v_ = [np.zeros_like(p) for p in coefs + intercepts]

    def _forward(self, X, *, rowwise=False):
        """Raw outputs ``F`` (and the hidden layer). ``rowwise=True`` (prediction) computes
        each row's products in a fixed order whatever the number of rows (BLAS's order
        depends on the matrix shape), so ``predict_one`` and ``predict`` agree bit for bit."""
        mm = _rowwise_matmul if rowwise else np.matmul
        if len(self.coefs_) == 1:
            return mm(X, self.coefs_[0]) + self.intercepts_[0], None
        Z = mm(X, self.coefs_[0]) + self.intercepts_[0]
        H = np.tanh(Z) if self.activation == "tanh" else np.maximum(Z, 0.0)
        return mm(H, self.coefs_[1]) + self.intercepts_[1], (Z, H)

    def _backward(self, X, cache, dF):
        """Gradients of the parameters from ``dF = d objective / d F`` (F the raw outputs)."""
        if cache is None:
            return [X.T @ dF], [dF.sum(axis=0)]
        Z, H = cache
        dW2 = H.T @ dF
        db2 = dF.sum(axis=0)
        dH = dF @ self.coefs_[1].T
        dZ = dH * (1.0 - H * H) if self.activation == "tanh" else dH * (Z > 0)
        return [X.T @ dZ, dW2], [dZ.sum(axis=0), db2]

    def _step(self, grads):
        params = self.coefs_ + self.intercepts_
        if self.solver == "sgd":
            for p, g in zip(params, grads):
                p -= self.learning_rate * g
            return
        beta1, beta2, eps = 0.9, 0.999, 1e-8  # scikit-learn's MLP: eps added to sqrt(v)
        self._opt_t_ += 1
        bc1, bc2 = bias_corrections(beta1, beta2, self._opt_t_)
        adam_step(params, grads, self._opt_m_, self._opt_v_, self.learning_rate, beta1, beta2,
                  eps, bc1, bc2, eps_scaled=False)

    # ------------------------------------------------------------------ penalty
    def _penalty_dF(self, F, yhat_and_jac, sens):
        """``d (fairness_weight * penalty) / d F`` for a batch, and the penalty value."""
        n = F.shape[0]
        if sens is None or self.fairness_weight == 0:
            return None, 0.0
        if n < 4:
            if not self.__dict__.get("_warned_small_batch"):  # once per estimator
                self._warned_small_batch = True
                warnings.warn(
                    f"{type(self).__name__}: a batch of {n} row(s) gets no fairness penalty "
                    f"(fairness_weight={self.fairness_weight!r} has no effect on it): the "
                    "distance-covariance penalty needs batches of >= 4 rows. Use "
                    f"batch_size >= 4 (now {self.batch_size!r}) and chunks of >= 4 rows.",
                    UserWarning, stacklevel=7)
            return None, 0.0
        yhat, jac = yhat_and_jac
        if yhat.ndim == 1:
            value, g = fairness_penalty_grad(yhat, sens, self.penalty)
            return (self.fairness_weight * g * jac).reshape(-1, 1), value
        # several classes: mean of the penalty of every class probability, through the softmax
        K = yhat.shape[1]
        gP = np.empty_like(yhat)
        value = 0.0
        for k in range(K):
            v, gP[:, k] = fairness_penalty_grad(yhat[:, k], sens, self.penalty)
            value += v / K
        gP /= K
        dF = yhat * (gP - (gP * yhat).sum(axis=1, keepdims=True))
        return self.fairness_weight * dF, value

    # ------------------------------------------------------------------ validation
    def _check_sensitive(self, sensitive_features, n, reset):
        values, columns = check_stream_columns(
            sensitive_features, n, None if reset else self.sensitive_columns_, reset=reset)
        if values is None:
            return None, None
        frame = pd.DataFrame(values, columns=columns).infer_objects()
        return frame, columns

    def _validate_common(self, X, sensitive_features):
        reset = not self._is_fitted()
        sizes = self._check_params()
        X_arr, commit_X = check_chunk_X(self, X, reset=reset)
        sens, columns = self._check_sensitive(sensitive_features, X_arr.shape[0], reset)
        return reset, sizes, X_arr, commit_X, sens, columns

    def _commit_common(self, reset, sizes, X_arr, commit_X, columns, n_outputs):
        commit_X()
        if reset:
            self.rng_ = make_generator(self.random_state)
            self._init_network(X_arr.shape[1], n_outputs, sizes, self.rng_)
            self.sensitive_columns_ = columns
            self.n_samples_seen_ = 0
            self.penalty_history_ = []

    # ------------------------------------------------------------------ training loop
    def _batches(self, n):
        n_batches = max(1, -(-n // self.batch_size))
        return np.array_split(np.arange(n), n_batches)

    def _learn(self, X, target, sens, extra, return_predictions):
        n = X.shape[0]
        preds = [] if return_predictions else None
        n_steps = 0
        for idx in self._batches(n):
            if len(idx) == 0:
                continue
            sens_b = None if sens is None else sens.iloc[idx].reset_index(drop=True)
            pred = self._learn_batch(X[idx], target[idx], sens_b,
                                     None if extra is None else extra[idx], return_predictions,
                                     n_steps)
            if return_predictions:
                preds.append(pred)
            n_steps += 1
        self.n_samples_seen_ += n
        if return_predictions:
            return np.concatenate(preds) if preds else np.empty(0)
        return None

    def _learn_batch(self, Xb, target, sens_b, extra, return_predictions, n_steps):
        """One optimizer step on one mini-batch; its predictions by the model before it."""
        F, cache = self._forward(Xb)
        if not np.isfinite(F).all():
            self._diverged(n_steps)
        pred = self._predict_from_F(F, extra) if return_predictions else None
        dF, yhat_jac = self._loss_dF(F, target, extra)
        dP, value = self._penalty_dF(F, yhat_jac, sens_b)
        if dP is not None:
            dF = dF + dP
        self.penalty_history_.append(float(value))
        gW, gb = self._backward(Xb, cache, dF)
        if self.alpha:
            gW = [g + self.alpha * W for g, W in zip(gW, self.coefs_)]
        self._step(gW + gb)
        if not all(np.isfinite(p).all() for p in self.coefs_ + self.intercepts_):
            self._diverged(n_steps + 1)
        return pred

    def _diverged(self, n_steps):
        """Non-finite parameters or outputs: raise before the chunk commits (``_learn_chunk``
        restores the state of before the chunk)."""
        raise ValueError(
            f"{type(self).__name__} diverged: non-finite network outputs or coefficients after "
            f"{n_steps} optimizer step(s) of this chunk; learning_rate={self.learning_rate!r} "
            "is too large for these data (lower it, or standardize X and y). The estimator is "
            "left as it was before the chunk.")

    def _partial_fit_chunk(self, chunk, return_predictions):
        return self._partial_fit(chunk.X, chunk.y, chunk.groups, return_predictions, chunk.extra)

    def _partial_fit(self, X, y, sensitive, return_predictions, extra=None):
        return self._learn(X, y, sensitive, extra, return_predictions)

    def _fit(self, X, y, sensitive_features, **fit_params):
        """``fit``: ``n_epochs`` passes of ``partial_fit``, in a new order each with ``shuffle``."""
        self._reset()
        self._check_params()
        if not self.shuffle:
            for _ in range(self.n_epochs):
                self.partial_fit(X, y, sensitive_features=sensitive_features, **fit_params)
            return self
        # validate the whole data first (no side effect) so that bad input fails with
        # partial_fit's message, before any row is indexed
        self._validate_partial_fit(X, y, sensitive_features, **fit_params)
        n = _num_samples(X)
        if sensitive_features is not None:
            values, columns = check_sensitive_features(sensitive_features, n)
            sensitive_features = pd.DataFrame(values, columns=columns)
        order_rng = make_generator(self.random_state, stream=1)  # apart from the initialization's
        for _ in range(self.n_epochs):
            perm = order_rng.permutation(n)
            per_row = {k: v if k == "classes" or v is None else _safe_indexing(v, perm)
                       for k, v in fit_params.items()}
            sens = (None if sensitive_features is None
                    else sensitive_features.iloc[perm].reset_index(drop=True))
            self.partial_fit(_safe_indexing(X, perm), _safe_indexing(y, perm),
                             sensitive_features=sens, **per_row)
        return self

    # ------------------------------------------------------------------ one event
    def learn_one(self, x, y, *, sensitive_features=None, **kwargs):
        """Buffer one event; learn the buffer as one mini-batch once it holds ``batch_size``.

        The penalty is a statistic of a batch, so events are not learned one by one: they wait
        (validated on arrival, a rejected event is not buffered) until ``batch_size`` of them
        have arrived, and then the buffer is learned exactly as ``partial_fit`` on those rows
        (one optimizer step). Up to ``batch_size - 1`` events may be waiting; ``predict_one``
        uses the model of the batches learned so far. If learning the full buffer fails (e.g.
        a first batch with a single class and no ``classes=``), the event that completed it is
        dropped again and the error raised; the estimator is unchanged.

        Parameters
        ----------
        x : dict or array-like of shape (n_features,)
        y : scalar
        sensitive_features : scalar, tuple or dict, default=None
        **kwargs : dict
            ``classes`` (classifier, first batch) or ``exposure`` (one positive number, Poisson
            regressor).

        Returns
        -------
        self : object
        """
        pending = self.__dict__.get("_event_pending_")
        if not kwargs and type(pending) is _PendingEvents and pending.validated and pending:
            # the common case: an ordinary event of a fitted model, into the batch buffer
            fast = self._event_validate(x, y, sensitive_features)
            n = len(pending)
            if fast is not None and n < pending.X.shape[0]:
                pending.X[n] = fast[0][0]
                pending.y[n] = fast[1][0]
                pending.append((fast[2][0], None))
                if n + 1 < int(self.batch_size):
                    return self
                return self._learn_pending(pending)
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if type(pending) is not _PendingEvents:  # none yet, or a list of an older pickle
            pending = self._event_pending_ = _PendingEvents(pending or ())
        if self._is_fitted() and (not pending or pending.validated):
            # a fitted model: the event's validated row goes into the batch buffer
            self._event_buffer(x, y, sensitive_features, kwargs, pending)
        else:
            # before the first batch (or after events buffered before it): the events as given
            if not self._event_prefit_ordinary(x, y, sensitive_features, kwargs, pending):
                self._event_check_one(x, y, sensitive_features, kwargs)
            entry = (dict(x) if isinstance(x, dict) else np.array(x, dtype=object), y,
                     sensitive_features, kwargs)
            if not pending:
                pending.validated = False
                pending.first = self._event_signature(entry)
            pending.append(entry)
        if len(pending) < int(self.batch_size):
            return self
        return self._learn_pending(pending)

    def _learn_pending(self, pending):
        """Learn the full buffer; on failure the event that completed it is dropped again."""
        try:
            if pending.validated:
                self._learn_buffered(pending)
            else:
                X, Y, S, kw = _events_to_chunk(self, pending)
                self.partial_fit(X, Y, sensitive_features=S, **kw)
        except BaseException:
            pending.pop()
            raise
        pending.clear()
        pending.first = None
        return self

    # a fitted model's events: validated one by one into preallocated batch buffers
    def _event_groups(self, sensitive_features, *, learning):
        """``[key]``: the event's group key in the fitted column order (``[None]`` for a model
        trained without sensitive features), or ``None`` (the chunk route decides). dCov keeps
        no group codes; the key is what ``partial_fit`` stores for that row."""
        columns = self.__dict__.get("sensitive_columns_")
        if columns is None:
            return [None] if sensitive_features is None else None
        if sensitive_features is None:
            return None
        key = (sensitive_features if len(columns) == 1 and type(sensitive_features) in _PLAIN
               else event_group_key(sensitive_features, columns))
        return None if key is None else [key]

    def _event_buffer(self, x, y, sensitive_features, kwargs, pending):
        """Validate one event of a fitted model and write it into the batch buffer (nothing
        changes when it is rejected)."""
        fast = None if kwargs else self._event_validate(x, y, sensitive_features)
        if fast is not None:
            row, target, groups = fast
            values, label, key, exposure = row[0], target[0], groups[0], None
        else:  # the chunk route's checks of one row: its errors, the values it stores
            X1, y1 = self._event_X(x), self._event_y_chunk(y)
            s1 = self._event_sf_chunk(sensitive_features)
            kw = dict(kwargs)
            if "exposure" in kw:
                kw["exposure"] = [kw["exposure"]]
            chunk = self._validate_partial_fit(X1, y1, s1, **kw)
            try:  # the parameters passed the chunk's checks: the next events' fast route
                check_frozen_params(self)
            except ValueError:  # raised when the batch is learned, as partial_fit does
                pass
            else:
                self._event_remember_params()
            values, label = chunk.X[0], chunk.y[0]
            key = exposure = None
            if chunk.groups is not None:
                rows, _ = check_stream_columns(s1, 1, self.sensitive_columns_, reset=False)
                key = rows[0, 0] if rows.shape[1] == 1 else tuple(rows[0])
            if chunk.extra is not None:
                exposure = float(chunk.extra[0])
        n = len(pending)
        if n == 0:
            pending.validated = True
        X_buf, y_buf = pending.buffers(n + 1, self.n_features_in_,
                                       np.int64 if hasattr(self, "classes_") else np.float64)
        X_buf[n] = values
        y_buf[n] = label
        pending.append((key, exposure))

    def _learn_buffered(self, pending):
        """Learn the buffered events as ``partial_fit`` learns the same rows as one chunk (after
        its validation, which each event passed on arrival)."""
        n = len(pending)
        if not self._event_params_unchanged(self._event_cache()):
            self._check_params()  # set_params since: the chunk route's checks
            check_frozen_params(self)
        X, target = pending.X[:n], pending.y[:n]
        columns = self.sensitive_columns_
        sens = None
        if columns is not None:
            values = np.empty((n, len(columns)), dtype=object)
            keys = [key for key, _ in pending]
            if len(columns) == 1 and all(type(key) in _PLAIN for key in keys):
                values[:, 0] = keys
            else:  # tuples: one label each (one attribute) or one label per attribute
                for i, key in enumerate(keys):
                    if len(columns) == 1:
                        values[i, 0] = key
                    else:
                        for j, v in enumerate(key):
                            values[i, j] = v
            sens = pd.DataFrame(values, columns=columns).infer_objects()  # as _check_sensitive
        exposures = [e for _, e in pending]
        extra = (None if all(e is None for e in exposures)
                 else np.array([1.0 if e is None else e for e in exposures], dtype=float))
        make_writeable(self)  # copy on write: a read-only (memory-mapped) state

        def learn():
            self._partial_fit(X, target, sens, False, extra)
            self._check_learned_state(X)

        self._undoable(learn)  # the chunk's transaction: nothing else changes
        self._event_remember_params()

    def _undoable(self, learn):
        """``learn()`` (optimizer steps on the network) as one transaction: the parameters,
        the optimizer's moments and step, ``n_samples_seen_`` and ``penalty_history_`` are put
        back on any exception (``KeyboardInterrupt`` included); nothing else changes."""
        params = self.coefs_ + self.intercepts_ + self._opt_m_ + self._opt_v_
        saved = [p.copy() for p in params]
        steps, seen, history = self._opt_t_, self.n_samples_seen_, len(self.penalty_history_)
        try:
            return learn()
        except BaseException:
            for p, old in zip(params, saved):
                p[...] = old
            self._opt_t_, self.n_samples_seen_ = steps, seen
            del self.penalty_history_[history:]
            raise

    # before the first batch: events kept as given, checked without side effects
    def _event_check_one(self, x, y, sensitive_features, kwargs):
        """Validate one event without side effects (dCov keeps no group codes)."""
        X1, y1 = self._event_X(x), self._event_y_chunk(y)
        s1 = self._event_sf_chunk(sensitive_features)
        kw = dict(kwargs)
        if "exposure" in kw:
            kw["exposure"] = [kw["exposure"]]
        if self._is_fitted():
            self._validate_partial_fit(X1, y1, s1, **kw)
            return
        # before the first batch the classes are not known: everything but the labels' set
        self._check_params()
        check_chunk_X(self, X1, reset=True)
        check_target(y1, 1, numeric=not hasattr(self, "_check_classes"))
        if s1 is not None:
            check_sensitive_features(s1, 1)
        if "exposure" in kw:
            self._check_exposure(kw["exposure"], 1)
        pending = self._event_pending_
        if pending:
            first = pending[0]
            if isinstance(first[0], dict) != isinstance(x, dict) or (
                    isinstance(x, dict) and set(map(str, x)) != set(map(str, first[0]))) or (
                    not isinstance(x, dict) and len(first[0]) != len(x)):
                raise ValueError("x must have the same features as the events before it.")
            if (first[2] is None) != (sensitive_features is None):
                raise ValueError("sensitive_features must be given for every event or for none.")

    def _event_signature(self, entry):
        """What an event must share with the first pending one (checked by
        :meth:`_event_check_one`) to skip its checks: the same parameters (the very objects),
        the same dict keys or number of values, the same kind of label and group."""
        x, y, sf, _ = entry
        return {"entry": entry, "params": self._event_param_values(),
                "keys": frozenset(x) if isinstance(x, dict) else None,
                "size": len(x), "y": type(y), "sf": _group_shape(sf)}

    def _event_prefit_ordinary(self, x, y, sensitive_features, kwargs, pending):
        """Whether an event before the first batch is an ordinary one like the first pending
        event: finite numbers under the same keys (or as many values), a label and a group of
        the same plain types. Such an event passes :meth:`_event_check_one`, so its checks are
        skipped; anything else is checked (and gets its clear error)."""
        first = pending.first if pending else None
        if kwargs or first is None or first["entry"] is not pending[0] or not all(
                map(operator.is_, first["params"], self._event_param_values())):
            return False
        if type(x) is dict:
            if first["keys"] is None or x.keys() != first["keys"]:
                return False
            values = x.values()
        elif type(x) is np.ndarray:
            if first["keys"] is not None or x.ndim != 1 or len(x) != first["size"] \
                    or x.dtype.kind not in "fi":
                return False
            values = x.tolist()
        else:
            return False
        if not all(type(v) in _NUMBERS for v in values):
            return False
        total = sum(values)
        if total - total != 0.0:  # NaN or infinity (or an overflowing sum)
            return False
        labels = _CLASS_LABELS if hasattr(self, "_check_classes") else _NUMERIC_LABELS
        if type(y) is not first["y"] or type(y) not in labels or (
                type(y) is float and not math.isfinite(y)):
            return False
        shape = _group_shape(sensitive_features)
        return shape is not None and shape == first["sf"]

    #: a one-row ``partial_fit`` undoes its own step on any exception (:meth:`_event_learn`)
    _event_learn_atomic = True

    def _event_learn(self, row, target, groups, return_predictions=False):
        """A one-row ``partial_fit`` on the validated row: one optimizer step on a batch of one
        row (which gets no penalty: only whether the model has groups matters, for its
        warning), restored with its counters on any exception (``KeyboardInterrupt``
        included). ``False`` (the chunk route) for a read-only state."""
        params = self.coefs_ + self.intercepts_ + self._opt_m_ + self._opt_v_
        if not all(p.flags.writeable for p in params):
            return False  # the chunk route copies a read-only (memory-mapped) state first

        def learn():
            pred = self._learn_batch(row, target, None if groups[0] is None else groups, None,
                                     return_predictions, 0)
            self.n_samples_seen_ += 1
            self._check_learned_state(row)
            return pred

        return self._undoable(learn)

    def _event_fast_kernels(self):
        """The prebuilt route's callables (``_core/events.py``): ``predict`` runs
        :meth:`_event_forward`'s operations on the network's arrays (changed in place by the
        optimizer) bound once; the route's ``learn`` (a one-row ``partial_fit``) is the
        default, ``learn_one`` buffers instead. Assigning the counters keeps the route."""
        learn, _, _ = super()._event_fast_kernels()
        # the lists, not their arrays: copy on write (make_writeable) replaces a read-only
        # array inside the list, and the optimizer changes the arrays in place
        coefs, intercepts = self.coefs_, self.intercepts_
        buffers = [np.empty((1, W.shape[1])) for W in coefs]
        last = len(coefs) - 1
        hidden = (np.tanh if self.activation == "tanh" else
                  (lambda Z, out: np.maximum(Z, 0.0, out=out)))
        value = self._event_value_of_F
        scalar = self._event_value_of_f(self._event_cache())
        if last == 0 and coefs[0].shape[1] == 1 and scalar is not None:
            # a linear model with one output: its value from the one sum (Python floats, the
            # same IEEE operations as the arrays')
            buf = buffers[0]

            def predict(row, groups):
                _c_einsum("ij,jk->ik", row, coefs[0], out=buf)
                return scalar(buf.item() + intercepts[0].item())

            return learn, predict, frozenset({"n_samples_seen_", "_opt_t_", "penalty_history_"})

        def predict(row, groups):
            out = row
            for i, buf in enumerate(buffers):
                _c_einsum("ij,jk->ik", out, coefs[i], out=buf)
                np.add(buf, intercepts[i], out=buf)
                if i < last:
                    hidden(buf, out=buf)
                out = buf
            return value(out)

        keeps = frozenset({"n_samples_seen_", "_opt_t_", "penalty_history_"})
        return learn, predict, keeps

    def _event_predict_value(self, row, groups):
        return self._event_value_of_F(self._event_forward(row))

    def _event_forward(self, row):
        """``self._forward(row, rowwise=True)[0]`` for one row: the same numpy operations into
        preallocated buffers (so the same bits), without the per-call wrappers."""
        cache = self.__dict__.get("_event_cache_") or self._event_cache()
        coefs = self.coefs_
        layers = cache.get("dcov_layers")
        if layers is None or len(layers) != len(coefs) or any(
                buf.shape[1] != W.shape[1] for buf, W in zip(layers, coefs)):
            layers = cache["dcov_layers"] = [np.empty((1, W.shape[1])) for W in coefs]
        out = row
        for i, (W, b, buf) in enumerate(zip(coefs, self.intercepts_, layers)):
            _c_einsum("ij,jk->ik", out, W, out=buf)
            np.add(buf, b, out=buf)
            if i < len(coefs) - 1:
                if self.activation == "tanh":
                    np.tanh(buf, out=buf)
                else:
                    np.maximum(buf, 0.0, out=buf)
            out = buf
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


#: group labels looked up as they are (``_core/events.py``)
_PLAIN = (str, int)
#: feature values an event before the first batch may skip its checks with
_NUMBERS = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})
#: labels an event before the first batch may skip its checks with
_CLASS_LABELS = frozenset({int, str, float})
_NUMERIC_LABELS = frozenset({int, float})


def _group_shape(sensitive_features):
    """The kind of an event's group, for comparing two events before the first batch:
    ``("none",)``, ``("label",)``, ``("tuple", k)``, ``("dict", keys)``; ``None`` for anything
    but plain ``str`` / ``int`` labels (such an event is checked)."""
    sf = sensitive_features
    if sf is None:
        return ("none",)
    if type(sf) in _PLAIN:
        return ("label",)
    if type(sf) is tuple:
        return ("tuple", len(sf)) if all(type(v) in _PLAIN for v in sf) else None
    if type(sf) is dict:
        return (("dict", frozenset(sf)) if all(type(v) in _PLAIN for v in sf.values())
                else None)
    return None


class _PendingEvents(list):
    """Events waiting for a batch (``learn_one``): a list, one entry per event.

    Before the first batch the entries are the events as given (``(x, y, sensitive_features,
    kwargs)``, ``validated`` false; ``first`` describes the first one). For a fitted model they
    are ``(group key, exposure)``, the validated rows and labels being in the preallocated
    buffers ``X`` / ``y`` (``validated`` true).
    """

    def __init__(self, events=()):
        super().__init__(events)
        self.validated = False
        self.first = None
        self.X = self.y = None

    def buffers(self, n, n_features, dtype):
        """``(X, y)`` with room for ``n`` events (grown by doubling, rows kept)."""
        X, y = self.X, self.y
        if X is None or X.shape[1] != n_features or y.dtype != dtype:
            X, y = np.empty((max(n, 16), n_features)), np.empty(max(n, 16), dtype=dtype)
        elif X.shape[0] < n:
            size = max(n, 2 * X.shape[0])
            X = np.concatenate([X, np.empty((size - X.shape[0], n_features))])
            y = np.concatenate([y, np.empty(size - y.shape[0], dtype=dtype)])
        self.X, self.y = X, y
        return X, y


def _events_to_chunk(est, events):
    """Buffered events as one chunk: ``X``, ``y``, ``sensitive_features`` and ``partial_fit``
    keyword arguments."""
    xs = [e[0] for e in events]
    if isinstance(xs[0], dict):
        names = getattr(est, "feature_names_in_", None)
        names = [str(n) for n in names] if names is not None else [str(k) for k in xs[0]]
        rows = [{str(k): v for k, v in x.items()} for x in xs]
        X = pd.DataFrame([[r[n] for n in names] for r in rows], columns=names)
    else:
        X = np.array([np.asarray(x, dtype=np.float64) for x in xs])
    y = np.asarray([e[1] for e in events])
    sfs = [e[2] for e in events]
    if sfs[0] is None:
        S = None
    else:
        chunks = [est._event_sf_chunk(s) for s in sfs]
        if isinstance(chunks[0], pd.DataFrame):
            S = pd.concat([c[list(chunks[0].columns)] for c in chunks], ignore_index=True)
        else:
            S = np.concatenate(chunks, axis=0)
    kw = {}
    classes = [e[3]["classes"] for e in events if "classes" in e[3]]
    if classes:
        kw["classes"] = classes[0]
    exposures = [e[3].get("exposure") for e in events]
    if any(v is not None for v in exposures):
        kw["exposure"] = np.array([1.0 if v is None else v for v in exposures], dtype=float)
    return X, y, S, kw


class DCovRegularizedClassifier(StreamingClassifierMixin, ClassifierMixin, _DCovRegularizedBase):
    """Logistic (softmax) classifier trained by mini-batches with a distance-covariance penalty.

    Each mini-batch of ``batch_size`` consecutive rows takes one Adam (or SGD) step on the mean
    log-loss plus ``fairness_weight`` times the penalty of the predicted probabilities of the
    positive class (for more than two classes: the mean over classes of the penalty of each
    class probability) and ``alpha/2`` times the squared weights. ``partial_fit`` makes one pass
    over a chunk, in order; ``fit`` resets and makes ``n_epochs`` such passes (each over a new
    random order of the rows with ``shuffle=True``).

    Parameters
    ----------
    penalty : {"dcov", "jdcov", "ccdcov"}, default="ccdcov"
        ``"dcov"``: sum over the protected attributes of ``dCov2_U(p, S_j)``;
        ``"jdcov"``: ``JdCov(p, S_1, ..., S_k; c=1)``; ``"ccdcov"``: ``dCov2_U(p, concat(S))``.
    fairness_weight : float, default=1.0
        Weight ``lambda`` of the penalty (0: plain logistic regression / MLP).
    hidden_layer_sizes : tuple, default=()
        ``()`` linear model; ``(h,)`` one hidden layer of ``h`` units.
    activation : {"tanh", "relu"}, default="tanh"
        Hidden-layer activation.
    batch_size : int, default=256
        Rows per optimizer step. A chunk is split into ``ceil(n / batch_size)`` nearly equal
        consecutive batches; batches with fewer than 4 rows get no penalty (the U-statistic
        needs 4).
    learning_rate : float, default=0.01
    solver : {"adam", "sgd"}, default="adam"
        Adam (beta1 0.9, beta2 0.999, eps 1e-8) or plain SGD with constant step.
    alpha : float, default=1e-4
        L2 penalty on the weights (not the intercepts).
    n_epochs : int, default=1
        Passes over the data made by :meth:`fit` (``partial_fit`` always makes one).
    shuffle : bool, default=False
        Whether :meth:`fit` visits the rows in a new random order at every epoch (drawn from
        ``random_state``), as scikit-learn's ``MLPClassifier(shuffle=True)``. Off by default:
        the rows are taken in the order of the stream. ``partial_fit`` never reorders a chunk.
    random_state : int, RandomState instance or None, default=None
        Seeds the hidden-layer initialization (the linear model starts at 0) and, with
        ``shuffle=True``, the order of every epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        Weight matrices (one, or two with a hidden layer).
    intercepts_ : list of ndarray
    sensitive_columns_ : list of str or None
        Protected-attribute names fixed at the first call (None: trained without them).
    penalty_history_ : list of float
        Penalty value (without the weight) of every mini-batch.
    n_samples_seen_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online import DCovRegularizedClassifier
    >>> rng = np.random.default_rng(0)
    >>> race = rng.choice(["a", "b", "c"], 1000)
    >>> X = np.column_stack([rng.normal(size=1000), (race == "a") + rng.normal(size=1000)])
    >>> y = (X[:, 0] + X[:, 1] > 0.5).astype(int)
    >>> clf = DCovRegularizedClassifier(fairness_weight=10.0, n_epochs=5, random_state=0)
    >>> clf = clf.fit(X, y, sensitive_features=race)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    @keyword_only_init
    def __init__(self, *, penalty="ccdcov", fairness_weight=1.0, hidden_layer_sizes=(),
                 activation="tanh", batch_size=256, learning_rate=0.01, solver="adam",
                 alpha=1e-4, n_epochs=1, shuffle=False, random_state=None):
        super().__init__(penalty=penalty, fairness_weight=fairness_weight,
                         hidden_layer_sizes=hidden_layer_sizes, activation=activation,
                         batch_size=batch_size, learning_rate=learning_rate, solver=solver,
                         alpha=alpha, n_epochs=n_epochs, shuffle=shuffle,
                         random_state=random_state)

    def _validate_partial_fit(self, X, y, sensitive_features, classes=None):
        reset, sizes, X_arr, commit_X, sens, columns = self._validate_common(
            X, sensitive_features)
        y_arr = check_target(y, X_arr.shape[0])
        codes, classes_ = self._check_classes(y_arr, classes, reset=reset)
        n_outputs = 1 if len(classes_) == 2 else len(classes_)

        def commit():
            self._commit_common(reset, sizes, X_arr, commit_X, columns, n_outputs)
            if reset:
                self.classes_ = classes_

        return Chunk(X_arr, codes, sens, commit)

    def _proba_from_F(self, F):
        if F.shape[1] == 1:
            p = _sigmoid(F[:, 0])
            return np.column_stack([1.0 - p, p])
        F = F - F.max(axis=1, keepdims=True)
        E = np.exp(F)
        return E / E.sum(axis=1, keepdims=True)

    def _predict_from_F(self, F, extra):
        return self.classes_[np.argmax(self._proba_from_F(F), axis=1)]

    def _loss_dF(self, F, codes, extra):
        n = F.shape[0]
        if F.shape[1] == 1:
            p = _sigmoid(F[:, 0])
            dF = ((p - codes) / n).reshape(-1, 1)
            return dF, (p, p * (1.0 - p))
        P = self._proba_from_F(F)
        Y = np.zeros_like(P)
        Y[np.arange(n), codes] = 1.0
        return (P - Y) / n, (P, None)

    _chunk_docs = ChunkDocs(
        fit="""Forget the learned state, then make ``n_epochs`` passes of :meth:`partial_fit`.

        With ``shuffle=True`` every pass takes the rows in a new random order.""",
        partial_fit="Learn from one chunk: consecutive mini-batches, one optimizer step each.",
        partial_fit_predict=("Test-then-train: each row's label predicted by the model before "
                             "its batch's step."),
        sensitive_features="""Protected attributes of any type (see ``encode_sensitive_features``);
            ``None`` trains without penalty.""",
        keywords={"classes": ("array-like, default=None", "Every label, required at the first "
                              "call when the first chunk misses some.")},
    )

    def decision_function(self, X):
        """Raw scores: the logit of the positive class, or one score per class.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        F = self._forward(X_arr, rowwise=True)[0]
        return F[:, 0] if F.shape[1] == 1 else F

    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        row = self._one_row_fast(X)  # one row, parameters as last validated: no re-checks
        if row is not None:
            return self._event_predict_proba(row)
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        return self._proba_from_F(self._forward(X_arr, rowwise=True)[0])

    def _event_predict_proba(self, row):
        return self._proba_from_F(self._event_forward(row))

    def _event_value_of_f(self, cache):
        """``predict``'s class from a binary model's one raw output ``f`` (a Python float)."""
        if len(self.classes_) != 2:
            return None
        classes = cache["class_list"]

        def value(f):  # _proba_from_F's sigmoid, then np.argmax of [1 - p, p]
            p = 0.5 * (1.0 + np.tanh(0.5 * f))
            return classes[1 if p > 1.0 - p else 0]

        return value

    def _event_value_of_F(self, F):
        """``predict``'s class from one row's raw outputs."""
        classes = self.__dict__["_event_cache_"]["class_list"]
        if F.shape[1] == 1:  # _proba_from_F's sigmoid, then np.argmax of [1 - p, p]
            p = 0.5 * (1.0 + np.tanh(0.5 * F[0, 0]))
            return classes[1 if p > 1.0 - p else 0]
        return classes[int(np.argmax(self._proba_from_F(F)[0]))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # one in-order pass with a few optimizer steps on the checks' tiny data sets
        tags.classifier_tags.poor_score = True
        return tags


class DCovRegularizedRegressor(RegressorMixin, _DCovRegularizedBase):
    """Linear or Poisson regression trained by mini-batches with a distance-covariance penalty.

    ``family="gaussian"``: identity link, loss ``mean((y - f)^2) / 2``, penalty on ``f``.
    ``family="poisson"``: log link with optional exposure ``e`` (``mu = e * exp(f)``), loss
    ``mean(mu - y log mu)`` (half the Poisson deviance up to a constant), penalty on the rate
    ``exp(f)`` (the prediction per unit of exposure, so exposure differences are not penalized).
    Other parameters as :class:`DCovRegularizedClassifier`.

    Parameters
    ----------
    penalty : {"dcov", "jdcov", "ccdcov"}, default="ccdcov"
    fairness_weight : float, default=1.0
    family : {"gaussian", "poisson"}, default="gaussian"
    hidden_layer_sizes : tuple, default=()
    activation : {"tanh", "relu"}, default="tanh"
    batch_size : int, default=256
    learning_rate : float, default=0.01
    solver : {"adam", "sgd"}, default="adam"
    alpha : float, default=1e-4
    n_epochs : int, default=1
    shuffle : bool, default=False
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    coefs_, intercepts_, sensitive_columns_, penalty_history_, n_samples_seen_, n_features_in_
        As :class:`DCovRegularizedClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from fairlearn_online import DCovRegularizedRegressor
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["F", "M"], 2000)
    >>> X = np.column_stack([rng.normal(size=2000), (sex == "M") + rng.normal(size=2000)])
    >>> exposure = rng.uniform(0.5, 1.0, 2000)
    >>> y = rng.poisson(exposure * np.exp(0.3 * X[:, 0] + 0.3 * X[:, 1]))
    >>> reg = DCovRegularizedRegressor(family="poisson", fairness_weight=5.0, n_epochs=3)
    >>> reg = reg.fit(X, y, sensitive_features=sex, exposure=exposure)
    >>> reg.predict(X[:3], exposure=exposure[:3]).shape
    (3,)
    """

    @keyword_only_init
    def __init__(self, *, penalty="ccdcov", fairness_weight=1.0, family="gaussian",
                 hidden_layer_sizes=(), activation="tanh", batch_size=256, learning_rate=0.01,
                 solver="adam", alpha=1e-4, n_epochs=1, shuffle=False, random_state=None):
        super().__init__(penalty=penalty, fairness_weight=fairness_weight,
                         hidden_layer_sizes=hidden_layer_sizes, activation=activation,
                         batch_size=batch_size, learning_rate=learning_rate, solver=solver,
                         alpha=alpha, n_epochs=n_epochs, shuffle=shuffle,
                         random_state=random_state)
        self.family = family

    _parameter_constraints = {**_DCovRegularizedBase._parameter_constraints,
                              "family": [StrOptions({"gaussian", "poisson"})]}

    def _check_exposure(self, exposure, n):
        if exposure is None:
            return None
        if self.family != "poisson":
            raise ValueError("exposure is only used with family='poisson'.")
        e = check_target(exposure, n, name="exposure", numeric=True)
        if np.any(e <= 0):
            raise ValueError("exposure must be > 0.")
        return e

    def _validate_partial_fit(self, X, y, sensitive_features, exposure=None):
        reset, sizes, X_arr, commit_X, sens, columns = self._validate_common(
            X, sensitive_features)
        y_arr = check_target(y, X_arr.shape[0], numeric=True)
        if self.family == "poisson" and np.any(y_arr < 0):
            raise ValueError("y must be >= 0 (counts) with family='poisson'.")
        e = self._check_exposure(exposure, X_arr.shape[0])

        def commit():
            self._commit_common(reset, sizes, X_arr, commit_X, columns, 1)

        return Chunk(X_arr, y_arr, sens, commit, extra=e)

    def _predict_from_F(self, F, exposure):
        f = F[:, 0]
        if self.family == "gaussian":
            return f.copy()
        mu = np.exp(f)
        return mu if exposure is None else mu * exposure

    def _loss_dF(self, F, y, exposure):
        n = F.shape[0]
        f = F[:, 0]
        if self.family == "gaussian":
            return ((f - y) / n).reshape(-1, 1), (f, np.ones(n))
        rate = np.exp(f)
        mu = rate if exposure is None else rate * exposure
        return ((mu - y) / n).reshape(-1, 1), (rate, rate)

    _chunk_docs = ChunkDocs(
        fit="""Forget the learned state, then make ``n_epochs`` passes of :meth:`partial_fit`.

        With ``shuffle=True`` every pass takes the rows in a new random order.""",
        partial_fit="Learn from one chunk: consecutive mini-batches, one optimizer step each.",
        partial_fit_predict="Test-then-train: each row predicted by the model before its batch's "
                            "step.",
        sensitive_features="Protected attributes of any type; ``None`` trains without penalty.",
        keywords={"exposure": ("array-like of shape (n_samples,), default=None",
                               'Positive exposure (``family="poisson"`` only); ``None`` '
                               "means 1.")},
    )

    def _event_target(self, y):
        target = self._event_numeric_target(y)
        if target is not None and self.family == "poisson" and target[0] < 0:
            return None
        return target

    def _event_predict(self, row, groups):
        return self._predict_from_F(self._event_forward(row), None)

    def _event_value_of_f(self, cache):
        """``predict``'s value (no exposure) from the one raw output ``f`` (a Python float)."""
        if self.family == "gaussian":
            return float
        return lambda f: float(np.exp(f))

    def _event_value_of_F(self, F):
        """``predict``'s value (no exposure) from one row's raw outputs."""
        return float(F[0, 0] if self.family == "gaussian" else np.exp(F[:, 0])[0])

    def predict(self, X, *, exposure=None, sensitive_features=None):
        """Predicted mean: ``f(x)``, or ``exposure * exp(f(x))`` for Poisson.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        exposure : array-like of shape (n_samples,), default=None
        sensitive_features : ignored
            Accepted as by every estimator of the library (the penalty acts in training only),
            so that one ``predict`` call fits all of them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        row = None if exposure is not None else self._one_row_fast(X)
        if row is not None:  # one row, parameters as last validated: the per-event route
            return self._event_predict(row, None)
        check_fitted(self)
        X_arr, _ = check_chunk_X(self, X, reset=False)
        e = self._check_exposure(exposure, X_arr.shape[0])
        return self._predict_from_F(self._forward(X_arr, rowwise=True)[0], e)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # one in-order pass: few optimizer steps
        return tags
