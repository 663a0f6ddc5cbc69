"""One event at a time: ``learn_one`` / ``predict_one`` / ``predict_proba_one``.

river's convention on top of the chunk protocol of :mod:`fairlearn_online.base`. An event is

* ``x``: a dict ``{feature_name: value}`` (order-free; the keys must be the feature names the
  estimator first saw) or a 1-D array of the features in column order;
* ``y``: one label or target value;
* ``sensitive_features``: one group label (a scalar), a tuple of labels (one per attribute,
  an intersectional group) or a dict ``{attribute: label}`` (matched by name).

Each event takes one of two routes with the same result:

* the **fast route**, when the estimator is fitted, its parameters are the ones last validated,
  and the event is ordinary (known keys, finite numbers, a known label and a known group): the
  event is checked with plain Python scalars and dict look-ups, written into preallocated
  one-row buffers and handed to the estimator's own chunk kernel (``_partial_fit``), exactly
  what ``partial_fit`` on that one row does after its validation. The route is prebuilt once
  (:class:`_FastRoute`: look-up tables, buffers and the estimator's kernel calls from
  ``_event_fast_kernels``) and dropped by any attribute assignment it depends on
  (``EventMixin.__setattr__``), a rollback or a pickle, so that ``set_params`` or a replaced
  attribute sends the next event through the full checks;
* the **chunk route** otherwise (first event, a new group, a bad value, a changed parameter):
  the event becomes a one-row chunk for ``partial_fit`` / ``predict``, which validates it, raises
  its clear ``ValueError`` / ``TypeError`` and changes nothing when it is rejected, or grows the
  state (a new group) when it is accepted.

So ``learn_one`` on every row of a stream gives bit-for-bit the model of ``partial_fit`` on the
same rows, and ``predict_one`` the values of ``predict``; ``tests/test_events.py`` checks it on
random streams for every streaming estimator. Single-row ``partial_fit`` / ``partial_fit_predict``
calls take the fast route too (:meth:`EventMixin._learn_one_row_fast`).

An estimator plugs in with small hooks (all optional, defaults in :class:`EventMixin`):

* ``_event_target(y)``: ``y`` as the 1-element array its kernel takes, or ``None`` (chunk route);
* ``_event_groups(sensitive_features, *, learning)``: the groups argument of ``_partial_fit`` for
  one row, or ``None`` (chunk route);
* ``_event_predict(row, groups)``: the prediction array of one validated row;
* ``_event_learn(row, target, groups)`` / ``_event_predict_value(row, groups)``: shortcuts of
  ``_partial_fit`` / ``_event_predict`` for one validated event (the forest calls its kernel
  directly on its packed state);
* ``_event_predict_proba(row)`` (classifiers): the probability row of one validated row;
* ``_event_fast_kernels()``: the prebuilt route's ``(learn, predict, keeps)`` (defaults: the
  two shortcuts above, reading the state from the estimator at each call).
"""

from __future__ import annotations

import math
import numbers
import operator
import struct

import numpy as np
import pandas as pd

from .state import atomic, learned_names, undo, undo_record

__all__ = ["EventMixin", "event_group_key", "event_sensitive_chunk"]

#: what ``_event_predict_value`` returns for a row its kernel rejects (the chunk route decides)
_REJECTED = object()
#: label types looked up as they are (what ``_scalar`` / ``_python`` return for them unchanged)
_PLAIN_LABELS = (str, int)

#: estimator attribute holding the route's cache (buffers, look-up tables); a learned-state name
#: (trailing underscore), so ``fit`` / ``_reset`` forget it with the rest of the state
_CACHE = "_event_cache_"
#: estimator attribute holding the prebuilt route (:class:`_FastRoute`); an assignment of an
#: attribute it depends on drops it (``EventMixin.__setattr__``)
_FAST = "_event_fast_"
#: learned attributes the prebuilt route reads once, when it is built (fixed by the first chunk,
#: or replaced when a new group is committed): assigning one of them drops the route
_BUILT_FROM = frozenset({"classes_", "feature_names_in_", "n_features_in_", "group_encoder_"})
#: what a row packer raises for a value that is not a real number (a str, None, a complex)
_NOT_A_NUMBER = (KeyError, TypeError, ValueError, OverflowError, struct.error)


def _scalar(value):
    """A group label as the chunk route stores it (``fairlearn_online.base._as_python_scalar``):
    numpy scalars become Python scalars and integral floats ints; ``None`` for a value the fast
    route does not handle (non-finite, unhashable)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return int(value)
    if value is None or isinstance(value, (list, dict, set, np.ndarray)):
        return None
    return value


def event_group_key(sensitive_features, columns):
    """The group key of one event (the label, or the tuple of labels in ``columns`` order).

    Parameters
    ----------
    sensitive_features : scalar, tuple, list or dict
        One event's protected attributes.
    columns : list of str
        The attribute names the estimator was fitted with.

    Returns
    -------
    key : hashable or None
        ``None`` when the event is not an ordinary one (a missing or non-finite label, another
        number of attributes, dict keys other than ``columns``): the chunk route then decides.
    """
    k = len(columns)
    if isinstance(sensitive_features, dict):
        if len(sensitive_features) != k:
            return None
        try:
            values = [sensitive_features[c] for c in columns]
        except KeyError:
            return None
    elif isinstance(sensitive_features, (tuple, list)):
        if len(sensitive_features) != k:
            return None
        values = sensitive_features
    elif k == 1:
        values = (sensitive_features,)
    else:
        return None
    out = []
    for v in values:
        v = _scalar(v)
        if v is None:
            return None
        out.append(v)
    return out[0] if k == 1 else tuple(out)


def event_sensitive_chunk(sensitive_features, columns=None):
    """One event's ``sensitive_features`` as a one-row chunk for ``partial_fit`` / ``predict``.

    A dict becomes a one-row DataFrame (columns in the fitted order ``columns`` when its keys are
    the same names, so a reordered dict is matched by name); a tuple or list a ``(1, k)`` object
    array; a scalar a 1-element object array; ``None`` stays ``None``.
    """
    if sensitive_features is None:
        return None
    if isinstance(sensitive_features, dict):
        keys = list(sensitive_features)
        if (columns is not None and set(map(str, keys)) == set(columns)
                and len(keys) == len(columns)):
            by_name = {str(k): v for k, v in sensitive_features.items()}
            keys, values = list(columns), [by_name[c] for c in columns]
        else:
            values = [sensitive_features[k] for k in keys]
        arr = np.empty((1, len(values)), dtype=object)
        arr[0, :] = values
        return pd.DataFrame(arr, columns=[str(k) for k in keys])
    if isinstance(sensitive_features, (tuple, list)):
        arr = np.empty((1, len(sensitive_features)), dtype=object)
        arr[0, :] = list(sensitive_features)
        return arr
    if isinstance(sensitive_features, (np.ndarray, pd.Series, pd.DataFrame)):
        raise TypeError("sensitive_features of one event must be a scalar label, a tuple or a "
                        f"dict, got {type(sensitive_features).__name__}.")
    arr = np.empty(1, dtype=object)
    arr[0] = sensitive_features
    return arr


class _FastRoute:
    """The fast route of one fitted estimator, built once: its look-up tables, one-row buffers
    and the estimator's ``learn(row, target, groups)`` / ``predict(row, groups)`` callables
    (:meth:`EventMixin._event_fast_kernels`), so that an ordinary event costs a few dict
    look-ups, one ``struct`` pack into the row buffer and one kernel call.

    It is valid while the parameters are the ones last validated and the attributes it was
    built from are unchanged: ``EventMixin.__setattr__`` / ``__delattr__`` drop it on any
    assignment except of the learned attributes in ``keeps`` (those its callables read from
    the estimator at every call), and a rollback, a pickle or a copy drops it too
    (``_core/state.py``). An event it does not handle (``None`` from ``row_of`` /
    ``validate``, ``False`` from ``learn_one``, ``_REJECTED`` from ``predict_one``) then takes
    the chunk route with nothing changed.
    """

    __slots__ = ("keeps", "est", "getter", "n_names", "pack", "row", "row_flat", "width",
                 "checked", "classes", "class_list", "target", "group_index", "group_buf",
                 "no_group_code", "learn", "predict")

    def __init__(self, est, cache, learn, predict, keeps):
        self.keeps = keeps
        self.est = est
        names = cache["names"]
        self.row = cache["row"]
        self.row_flat = self.row.reshape(-1)
        self.width = self.row.shape[1]
        if names is None:
            self.getter, self.n_names = None, -1  # no dict is an ordinary event
        else:
            self.n_names = len(names)
            self.getter = (operator.itemgetter(*names) if len(names) > 1
                           else (lambda x, _name=names[0]: (x[_name],)))
        # struct packs Python and numpy reals (bools too: the chunk route reads them as 0 / 1)
        # and refuses str, None and complex, as the chunk route does
        self.pack = struct.Struct(f"={self.width}d").pack_into
        self.checked = est._event_row_checked
        target_hook = type(est)._event_target
        self.classes = (cache["classes"] if target_hook is EventClassifierMixin._event_target
                        else None)
        self.class_list = cache.get("class_list")
        self.target = cache["target"]
        # the default group look-up (``group_encoder_``) inlined: one label, or no groups
        self.group_index = self.group_buf = self.no_group_code = None
        encoder = est.__dict__.get("group_encoder_")
        if type(est)._event_groups is EventMixin._event_groups and encoder is not None:
            if encoder.columns_ == ["<none>"]:
                self.no_group_code = encoder._index.get(None)
            elif len(encoder.columns_) == 1:
                self.group_index = encoder._index
            self.group_buf = cache["groups"]
        self.learn, self.predict = learn, predict

    def row_of(self, x):
        """``x`` packed into the one-row buffer, or ``None``."""
        try:
            if type(x) is dict:
                if len(x) != self.n_names:
                    return None
                values = self.getter(x)  # KeyError: a renamed key
            elif type(x) is np.ndarray:
                if x.ndim != 1 or x.shape[0] != self.width or x.dtype.kind not in "fiub":
                    return None
                values = x.tolist()
            elif type(x) in (list, tuple):
                if len(x) != self.width:
                    return None
                values = x
            else:
                return None
            self.pack(self.row_flat, 0, *values)
            if not self.checked:
                total = sum(values)
                if total - total != 0.0:  # NaN or infinity somewhere (or an overflowing sum)
                    return None
        except _NOT_A_NUMBER:
            return None
        return self.row

    def target_of(self, y):
        classes = self.classes
        if classes is None:
            return self.est._event_target(y)
        try:
            code = classes.get(y if type(y) in _PLAIN_LABELS else _python(y))
        except TypeError:  # unhashable
            return None
        if code is None:
            return None
        buf = self.target
        buf[0] = code
        return buf

    def groups_of(self, sensitive_features, learning):
        buf = self.group_buf
        if buf is None:
            return self.est._event_groups(sensitive_features, learning=learning)
        if self.no_group_code is not None:
            if sensitive_features is not None:
                return None
            buf[0] = self.no_group_code
            return buf
        index = self.group_index
        if index is None or type(sensitive_features) not in _PLAIN_LABELS:
            return self.est._event_groups(sensitive_features, learning=learning)
        code = index.get(sensitive_features)
        if code is None:
            return None
        buf[0] = code
        return buf

    def validate(self, x, y, sensitive_features):
        """``(row, target, groups)`` for the kernel, or ``None``."""
        row = self.row_of(x)
        if row is None:
            return None
        target = self.target_of(y)
        if target is None:
            return None
        groups = self.groups_of(sensitive_features, True)
        if groups is None:
            return None
        return row, target, groups

    def learn_one(self, x, y, sensitive_features):
        """Whether the event was learned: :meth:`validate` and ``learn``, with the common
        cases of :meth:`target_of` and :meth:`groups_of` (a plain label) spelled out, as this
        runs at every event."""
        row = self.row_of(x)
        if row is None:
            return False
        classes = self.classes
        if classes is not None and type(y) in _PLAIN_LABELS:
            code = classes.get(y)
            if code is None:
                return False
            target = self.target
            target[0] = code
        else:
            target = self.target_of(y)
            if target is None:
                return False
        index = self.group_index
        if index is not None and type(sensitive_features) in _PLAIN_LABELS:
            code = index.get(sensitive_features)
            if code is None:
                return False
            groups = self.group_buf
            groups[0] = code
        else:
            groups = self.groups_of(sensitive_features, True)
            if groups is None:
                return False
        return self.learn(row, target, groups) is not False

    def predict_one(self, x, sensitive_features, uses_groups):
        """The prediction as a Python scalar, or ``_REJECTED``."""
        row = self.row_of(x)
        if row is None:
            return _REJECTED
        if uses_groups:
            groups = self.groups_of(sensitive_features, False)
            if groups is None:
                return _REJECTED
        else:
            groups = None
        return self.predict(row, groups)


class EventMixin:
    """``learn_one`` / ``predict_one`` / ``predict_proba_one`` for a streaming estimator.

    Mixed into :class:`fairlearn_online.base.StreamingEstimatorMixin`; see the module docstring
    for the two routes and the hooks.
    """

    #: whether ``predict`` takes ``sensitive_features`` (the groupwise regressors)
    _event_predict_uses_groups = False
    #: whether ``_event_learn`` / ``_event_predict_value`` reject a non-finite row themselves
    #: (``False`` / ``_REJECTED``), so that ``_event_row`` need not check a dict's values
    _event_row_checked = False
    #: whether ``_event_learn`` changes the state and the counters of an event in one kernel
    #: call (nothing for an interrupt to separate); otherwise the route keeps a cheap undo
    #: record (``_core/state.py``) and puts it back on any exception
    _event_learn_atomic = False
    #: the arrays ``_event_learn`` changes in place, for the undo record (``None``: every array
    #: of the learned state; ``"snapshot"``: other objects change too, the chunk's transaction)
    _event_mutable_arrays = None

    # ------------------------------------------------------------------ public methods
    def learn_one(self, x, y, *, sensitive_features=None, **kwargs):
        """Learn from one event, exactly as ``partial_fit`` on that one row.

        Parameters
        ----------
        x : dict or array-like of shape (n_features,)
            ``{feature_name: value}`` with the feature names seen first (any order), or the
            features in column order.
        y : scalar
            The event's label (classifiers: one of ``classes_``) or target.
        sensitive_features : scalar, tuple or dict, default=None
            The event's group: a label, a tuple of labels (intersectional) or
            ``{attribute: label}``.
        **kwargs : dict
            Other arguments of ``partial_fit`` (e.g. ``classes`` on the first event of a
            classifier).

        Returns
        -------
        self : object
        """
        if kwargs:
            kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if not kwargs:
            route = self.__dict__.get(_FAST) or self._event_fast_route()
            if route is not None and route.learn_one(x, y, sensitive_features):
                return self
        self.partial_fit(self._event_X(x), self._event_y_chunk(y),
                         sensitive_features=self._event_sf_chunk(sensitive_features), **kwargs)
        self._event_remember_params()
        return self

    def predict_one(self, x, *, sensitive_features=None):
        """Prediction for one event, exactly as ``predict`` on that one row.

        Parameters
        ----------
        x : dict or array-like of shape (n_features,)
        sensitive_features : scalar, tuple or dict, default=None
            Used only by estimators whose ``predict`` takes groups.

        Returns
        -------
        y_pred : scalar
        """
        route = self.__dict__.get(_FAST) or self._event_fast_route()
        if route is not None:
            value = route.predict_one(x, sensitive_features, self._event_predict_uses_groups)
            if value is not _REJECTED:
                return value
        kwargs = ({"sensitive_features": self._event_sf_chunk(sensitive_features)}
                  if self._event_predict_uses_groups else {})
        return _python(self.predict(self._event_X(x), **kwargs)[0])

    # ------------------------------------------------------------------ the prebuilt route
    def __setattr__(self, name, value):
        d = self.__dict__
        route = d.get(_FAST)
        if route is not None and name not in route.keeps:
            del d[_FAST]  # set_params, a replaced attribute, a grown group: built again
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if self.__dict__.pop(_FAST, None) is not None and name == _FAST:
            return
        super().__delattr__(name)

    def _event_fast_route(self):
        """The prebuilt route (:class:`_FastRoute`), built when the estimator is fitted and its
        parameters are the ones last validated; ``None`` otherwise (the chunk route)."""
        cache = self.__dict__.get(_CACHE)
        if cache is None:
            if not self._is_fitted():
                return None
            cache = self._event_cache()
        if not self._event_params_unchanged(cache):
            return None
        kernels = self._event_fast_kernels()
        if kernels is None:
            return None
        learn, predict, keeps = kernels
        if keeps is None:  # the default callables read the state from the estimator
            keeps = frozenset(learned_names(self)) - _BUILT_FROM
        route = _FastRoute(self, self.__dict__[_CACHE], learn, predict, keeps)
        self.__dict__[_FAST] = route
        return route

    def _event_fast_kernels(self):
        """``(learn, predict, keeps)`` of the prebuilt route, or ``None`` (no fast route).

        ``learn(row, target, groups)`` learns one validated event (the one-row buffers) as
        one transaction and returns ``False`` when it sends it to the chunk route (nothing
        learned); ``predict(row, groups)`` returns the prediction as a Python scalar or
        ``_REJECTED``. ``keeps``: the learned attributes whose assignment leaves the route
        valid, ``None`` for every one but those it is built from (``_BUILT_FROM``): right for
        callables that read the state from the estimator at each call, as the defaults do. An
        estimator whose callables hold its arrays (the forest's packed state) passes an empty
        set.
        """
        def learn(row, target, groups):
            return self._event_learn_one((row, target, groups))

        def predict(row, groups):
            return self._event_predict_value(row, groups)

        return learn, predict, None

    # ------------------------------------------------------------------ hooks (defaults)
    def _event_target(self, y):
        return None

    def _event_groups(self, sensitive_features, *, learning):
        """Group codes of one event from ``group_encoder_`` (estimators that have one)."""
        encoder = self.__dict__.get("group_encoder_")
        if encoder is None:
            return None
        cache = self._event_cache()
        if cache.get("encoder") is not encoder:  # a new encoder is committed with a new group
            columns = encoder.columns_
            cache["encoder"] = encoder
            cache["group_index"] = encoder._index
            cache["group_columns"] = columns
            cache["group_kind"] = (0 if columns == ["<none>"] else 1 if len(columns) == 1
                                   else 2)
        kind = cache["group_kind"]
        if kind == 0:
            if sensitive_features is not None:
                return None
            key = None
        elif kind == 1 and type(sensitive_features) in _PLAIN_LABELS:
            key = sensitive_features  # a str or int label: what _scalar returns for it
        else:
            if sensitive_features is None:
                return None
            key = event_group_key(sensitive_features, cache["group_columns"])
            if key is None:
                return None
        try:
            code = cache["group_index"].get(key)
        except TypeError:  # unhashable
            return None
        if code is None:
            return None
        buf = cache["groups"]
        buf[0] = code
        return buf

    def _event_learn_one(self, fast, return_predictions=False):
        """:meth:`_event_learn` as one transaction: an exception (``KeyboardInterrupt``
        included) leaves the state and its counters as before the event."""
        if self._event_learn_atomic:
            return self._event_learn(*fast, return_predictions)
        arrays = self._event_mutable_arrays
        if arrays == "snapshot":
            with atomic(self):
                return self._event_learn(*fast, return_predictions)
        record = undo_record(self, arrays)
        try:
            return self._event_learn(*fast, return_predictions)
        except BaseException:
            undo(self, record)
            raise

    def _event_learn(self, row, target, groups, return_predictions=False):
        """Learn one validated event (the buffers of :meth:`_event_validate`) and return what
        ``_partial_fit`` returns; ``False`` sends it to the chunk route instead (nothing
        learned: e.g. a kernel that checks the row)."""
        return self._partial_fit(row, target, groups, return_predictions)

    def _event_predict_value(self, row, groups):
        """The prediction of one validated row, as a Python scalar (``_REJECTED``: the chunk
        route decides)."""
        return _python(self._event_predict(row, groups)[0])

    def _event_predict(self, row, groups):
        proba = self._event_predict_proba(row)
        return self.classes_[np.argmax(proba, axis=1)]

    def _event_predict_proba(self, row):
        return self.predict_proba(row)

    # ------------------------------------------------------------------ the fast route
    def _event_cache(self):
        cache = self.__dict__.get(_CACHE)
        if cache is None:
            names = getattr(self, "feature_names_in_", None)
            d = self.n_features_in_
            names = None if names is None else [str(n) for n in names]
            cache = {
                "names": names,
                "row": np.empty((1, d)),
                "groups": np.empty(1, dtype=np.int64),
                "target": np.empty(1, dtype=np.int64 if hasattr(self, "classes_")
                                   else np.float64),
                "params": None,
            }
            classes = getattr(self, "classes_", None)
            if classes is not None:
                cache["classes"] = {_python(c): i for i, c in enumerate(classes)}
                cache["class_list"] = [_python(c) for c in classes]
            setattr(self, _CACHE, cache)
        return cache

    def _event_param_values(self):
        names = type(self).__dict__.get("_event_param_names")
        if names is None:
            names = tuple(self._get_param_names())
            type(self)._event_param_names = names
        return tuple(map(self.__dict__.get, names))

    def _event_remember_params(self):
        """After the chunk route accepted an event, its parameters are the validated ones."""
        if self._is_fitted():
            self._event_cache()["params"] = self._event_param_values()

    def _event_params_unchanged(self, cache):
        """The parameters are the very objects last validated (``set_params`` or an
        assignment since then sends the next event through the chunk route's checks)."""
        saved = cache["params"]
        return saved is not None and all(map(operator.is_, saved, self._event_param_values()))

    def _event_row(self, x):
        """``x`` in the one-row buffer when it is an ordinary event of a fitted estimator whose
        parameters are the ones last validated (:meth:`_FastRoute.row_of`), else ``None``."""
        route = self.__dict__.get(_FAST) or self._event_fast_route()
        return None if route is None else route.row_of(x)

    def _event_validate(self, x, y, sensitive_features):
        """``(row, target, groups)`` for the kernel, or ``None`` for the chunk route."""
        route = self.__dict__.get(_FAST) or self._event_fast_route()
        return None if route is None else route.validate(x, y, sensitive_features)

    def _event_class_target(self, y):
        """``y``'s class code in the target buffer (classifiers)."""
        cache = self._event_cache()
        try:
            code = cache["classes"].get(y if type(y) in _PLAIN_LABELS else _python(y))
        except TypeError:
            return None
        if code is None:
            return None
        buf = cache["target"]
        buf[0] = code
        return buf

    def _event_numeric_target(self, y):
        """``y`` as a finite float in the target buffer (regressors)."""
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            return None
        y = float(y)
        if not math.isfinite(y):
            return None
        buf = self._event_cache()["target"]
        buf[0] = y
        return buf

    # ------------------------------------------------------------------ single-row chunks
    def _learn_one_row_fast(self, X, y, sensitive_features, return_predictions, kwargs):
        """The fast route for a one-row ``partial_fit``; ``NotImplemented`` when it does not
        apply (the chunk's own validation then runs)."""
        if any(v is not None for v in kwargs.values()) or not isinstance(X, np.ndarray) \
                or X.ndim != 2 or X.shape[0] != 1:
            return NotImplemented
        if isinstance(y, (list, tuple)) and len(y) == 1:
            y0 = y[0]
        elif isinstance(y, np.ndarray) and y.shape == (1,):
            y0 = y[0]
        else:
            return NotImplemented
        if sensitive_features is None:
            sf = None
        elif isinstance(sensitive_features, np.ndarray) and sensitive_features.shape == (1,):
            sf = sensitive_features[0]
        elif isinstance(sensitive_features, np.ndarray) and sensitive_features.ndim == 2 \
                and sensitive_features.shape[0] == 1:
            sf = tuple(sensitive_features[0])
        elif isinstance(sensitive_features, list) and len(sensitive_features) == 1 \
                and not isinstance(sensitive_features[0], (list, tuple, np.ndarray)):
            sf = sensitive_features[0]
        else:
            return NotImplemented
        if getattr(self, "feature_names_in_", None) is not None:
            return NotImplemented  # an array for a model fitted with names: sklearn's warning
        fast = self._event_validate(X[0], y0, sf)
        if fast is None:
            return NotImplemented
        pred = self._event_learn_one(fast, return_predictions)
        if pred is False:
            return NotImplemented
        return pred if return_predictions else None

    def _one_row_fast(self, X):
        """The one-row buffer holding ``X`` when ``X`` is one ordinary row (a finite float
        array of shape ``(1, n_features_in_)``, a model fitted without feature names) and the
        parameters are the ones last validated: ``predict`` / ``predict_proba`` then skip
        their checks (the parameters are the very objects they checked before). ``None``
        otherwise."""
        if type(X) is not np.ndarray or X.ndim != 2 or X.shape[0] != 1:
            return None
        route = self.__dict__.get(_FAST) or self._event_fast_route()
        if route is None or route.getter is not None:
            return None
        return route.row_of(X[0])

    # ------------------------------------------------------------------ the chunk route
    def _event_X(self, x):
        """One event's ``x`` as a one-row chunk (a DataFrame for a dict)."""
        if isinstance(x, dict):
            keys = [str(k) for k in x]
            names = getattr(self, "feature_names_in_", None)
            if names is not None:
                names = [str(n) for n in names]
                missing = [n for n in names if n not in keys]
                extra = [k for k in keys if k not in names]
                if missing or extra:
                    raise ValueError(
                        f"x must have the feature names seen first; missing {missing}, "
                        f"unexpected {extra}.")
                by_name = {str(k): v for k, v in x.items()}
                keys, values = names, [by_name[n] for n in names]
            elif self._is_fitted():
                raise ValueError("x is a dict but the estimator was fitted without feature "
                                 "names; pass the features as a 1-D array in column order.")
            else:
                values = list(x.values())
            arr = np.empty((1, len(values)), dtype=object)
            arr[0, :] = values
            frame = pd.DataFrame(arr, columns=keys)
            return frame.infer_objects()
        if isinstance(x, (pd.DataFrame, pd.Series)):
            raise TypeError("x of one event must be a dict or a 1-D array, got "
                            f"{type(x).__name__}; use partial_fit for a chunk.")
        arr = np.asarray(x)
        if arr.ndim != 1:
            raise ValueError(f"x of one event must be a dict or a 1-D array, got shape "
                             f"{arr.shape}.")
        return arr.reshape(1, -1)

    @staticmethod
    def _event_y_chunk(y):
        if isinstance(y, (list, tuple, np.ndarray, pd.Series, dict)):
            raise TypeError(f"y of one event must be a scalar, got {type(y).__name__}.")
        if y is None:
            return None
        return np.asarray([y])

    def _event_sf_chunk(self, sensitive_features):
        encoder = getattr(self, "group_encoder_", None)
        columns = getattr(encoder, "columns_", None) if encoder is not None else None
        if columns is None:
            columns = getattr(self, "sensitive_columns_", None)
        if columns is None and getattr(self, "membership_", None) is not None:
            columns = self.membership_.columns
        return event_sensitive_chunk(sensitive_features, columns)


class EventClassifierMixin(EventMixin):
    """Adds ``predict_proba_one`` and the class look-up of ``y``."""

    def _event_target(self, y):
        return self._event_class_target(y)

    def predict_proba_one(self, x):
        """Class probabilities of one event, exactly as ``predict_proba`` on that one row.

        Parameters
        ----------
        x : dict or array-like of shape (n_features,)

        Returns
        -------
        proba : dict
            ``{class: probability}`` for every class of ``classes_``.
        """
        row = self._event_row(x)
        proba = self._event_predict_proba(row) if row is not None else None
        if proba is None:  # not an ordinary event, or a row its kernel rejected
            proba = self.predict_proba(self._event_X(x))
        return dict(zip(self._event_cache()["class_list"], proba[0].tolist()))


def _python(value):
    """numpy scalars as Python scalars (river's dicts and labels are plain Python)."""
    return value.item() if isinstance(value, np.generic) else value
