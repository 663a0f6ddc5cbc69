"""The learned state of an estimator as one unit: atomic chunks, copy on write, portable pickles.

The learned state is every attribute whose name ends in ``_`` (scikit-learn's convention), except
the per-event bookkeeping ``_event_*`` of ``_core/events.py`` (buffers of the one-event route and
events waiting for a batch, which belong to the caller of ``learn_one``, not to the model).

* :func:`atomic` runs a chunk as a transaction: it snapshots the learned state (arrays copied)
  before anything changes and restores it on any exception, ``KeyboardInterrupt`` and
  ``MemoryError`` included, so a failed chunk leaves the estimator exactly as before it, with its
  counters; :func:`checkpoint` commits the work done so far inside a transaction (an estimator
  that learns a long chunk in bounded slices commits each slice, so an interrupt keeps the slices
  already learned and nothing of the one it stopped); :func:`atomic_fit` makes a whole ``fit``
  one transaction (its slices and epochs commit only inside it), so a failed ``fit`` leaves
  the estimator as it was before the call.
* :func:`make_writeable` replaces read-only arrays of the state (a joblib ``mmap_mode="r"`` load,
  pickle protocol 5 with read-only buffers) by private copies before a kernel writes to them
  (copy on write: a model that only predicts keeps sharing the memory map).
* :func:`portable_getstate` / :func:`portable_setstate` store a numpy ``Generator`` as its bit
  generator's name and state (a plain dict of ints), rebuilt on unpickling, so a pickle made
  under numpy 2 loads under numpy 1.26 (numpy 2 pickles a Generator by a constructor that
  numpy 1.26 does not have).
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools

import numpy as np

__all__ = ["atomic", "atomic_fit", "checkpoint", "drop_event_route", "forget", "learned_names",
           "make_writeable", "portable_getstate", "portable_setstate", "restore", "snapshot",
           "undo", "undo_record"]

#: per-event bookkeeping: never part of a snapshot (it is not learned state)
EVENT_PREFIX = "_event_"
#: the one-event route's cache (buffers, the parameters last validated): dropped on a rollback
#: and on unpickling, so the next event goes through the chunk route's checks once
_EVENT_CACHE = "_event_cache_"
#: the prebuilt per-event route (``_core/events.py``): it holds closures, never pickled or copied
_EVENT_FAST = "_event_fast_"
#: marker key of a Generator stored portably in a pickle
_GENERATOR_KEY = "__fairlearn_online_seed_state__"

_ACTIVE = contextvars.ContextVar("fairlearn_online_transactions", default=())


def learned_names(est):
    """Names of ``est``'s learned-state attributes (trailing ``_``, not ``_event_*``)."""
    return [name for name in vars(est)
            if name.endswith("_") and not name.startswith("__")
            and not name.startswith(EVENT_PREFIX)]


def forget(est):
    """Delete every learned attribute of ``est`` (trailing ``_``, the ``_event_*`` bookkeeping
    included): what ``fit`` does before learning."""
    for name in [n for n in vars(est) if n.endswith("_") and not n.startswith("__")]:
        delattr(est, name)


def snapshot(est):
    """A private copy of the learned state: ``{name: value}`` with arrays (also inside lists,
    tuples and dicts) copied; objects are deep-copied together, so arrays shared between
    attributes stay shared in the copy."""
    state = {name: vars(est)[name] for name in learned_names(est)}
    return copy.deepcopy(state)


def restore(est, saved):
    """Put back a :func:`snapshot`: attributes learned since are deleted, the others get private
    copies of their saved values (the snapshot stays reusable)."""
    for name in learned_names(est):
        if name not in saved:
            delattr(est, name)
    drop_event_route(vars(est))
    for name, value in copy.deepcopy(saved).items():
        setattr(est, name, value)


def undo_record(est, arrays=None):
    """A cheap record that undoes one event (the per-event route's transaction).

    It holds the attribute bindings (a shallow copy of ``vars(est)``: counters and replaced
    arrays) and copies of the arrays a kernel changes in place: those named in ``arrays``, or
    by default every array of the learned state (also inside dicts). Other objects are not
    changed by one known event (its group and label are known: encoders do not grow).
    """
    d = est.__dict__
    if arrays is None:
        found = []
        for name in learned_names(est):
            value = d[name]
            if isinstance(value, np.ndarray):
                found.append(value)
            elif isinstance(value, dict):
                found.extend(v for v in value.values() if isinstance(v, np.ndarray))
    else:
        found = [d[name] for name in arrays if name in d]
    return dict(d), [(a, a.copy()) for a in found]


def undo(est, record):
    """Put back an :func:`undo_record` (arrays keep their identity, their contents restored)."""
    bindings, contents = record
    for array, saved in contents:
        array[...] = saved
    d = est.__dict__
    d.clear()
    d.update(bindings)
    drop_event_route(d)


class _Transaction:
    def __init__(self, est):
        self.est = est
        self.saved = snapshot(est)

    def checkpoint(self):
        self.saved = snapshot(self.est)


@contextlib.contextmanager
def atomic(est):
    """Run the block as one transaction on ``est``'s learned state.

    On any exception (``BaseException``: ``KeyboardInterrupt``, ``MemoryError`` too) the state
    is restored to the last :func:`checkpoint` (the start of the block if none) and the
    exception re-raised.
    """
    txn = _Transaction(est)
    token = _ACTIVE.set(_ACTIVE.get() + (txn,))
    try:
        yield txn
    except BaseException:
        restore(est, txn.saved)
        raise
    finally:
        _ACTIVE.reset(token)


def atomic_fit(fit):
    """Decorator: ``fit`` as one transaction. ``fit`` forgets the learned state and learns
    anew, possibly in several steps (epochs, chunks, slices committed inside it); a failure or
    interrupt anywhere restores the state of before ``fit`` was called, never a mix of the old
    state and part of the new one."""
    if getattr(fit, "_atomic_fit", False):
        return fit

    @functools.wraps(fit)
    def transactional_fit(self, *args, **kwargs):
        with atomic(self):
            return fit(self, *args, **kwargs)

    transactional_fit._atomic_fit = True
    return transactional_fit


def checkpoint(est):
    """Commit ``est``'s learned state inside the innermost :func:`atomic` block on it (a no-op
    outside one)."""
    for txn in reversed(_ACTIVE.get()):
        if txn.est is est:
            check = getattr(est, "_check_learned_state", None)
            if check is not None:  # a non-finite state is never committed
                check()
            txn.checkpoint()
            return


def _writeable(value, memo):
    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            return value
        key = id(value)
        if key not in memo:
            memo[key] = np.array(value, copy=True, subok=False)
        return memo[key]
    if isinstance(value, list):
        for i, item in enumerate(value):
            new = _writeable(item, memo)
            if new is not item:
                value[i] = new
        return value
    if isinstance(value, dict):
        for k, item in value.items():
            new = _writeable(item, memo)
            if new is not item:
                value[k] = new
        return value
    if isinstance(value, tuple):
        items = [_writeable(item, memo) for item in value]
        if any(new is not old for new, old in zip(items, value)):
            return type(value)(items) if type(value) is tuple else type(value)(*items)
    return value


def make_writeable(est):
    """Replace read-only arrays of the learned state (also inside lists, tuples and dicts) by
    private writable copies; an array shared by several attributes stays shared."""
    memo = {}
    for name in learned_names(est):
        value = vars(est)[name]
        new = _writeable(value, memo)
        if new is not value:
            setattr(est, name, new)


def portable_getstate(state):
    """``state`` (an estimator's ``__dict__`` copy) with every numpy ``Generator`` value replaced
    by a plain dict: its bit generator's class name and state (ints)."""
    out = dict(state)
    for name, value in state.items():
        if isinstance(value, np.random.Generator):
            bitgen = value.bit_generator
            saved = {k: v for k, v in bitgen.state.items() if k != "bit_generator"}
            out[name] = {_GENERATOR_KEY: type(bitgen).__name__, "state": _plain(saved),
                         "seed_sequence": _seed_sequence(bitgen)}
    drop_event_route(out)
    return out


def portable_setstate(state):
    """Inverse of :func:`portable_getstate`: the Generators rebuilt from their stored state."""
    out = dict(state)
    for name, value in state.items():
        if isinstance(value, dict) and _GENERATOR_KEY in value:
            name_ = value[_GENERATOR_KEY]
            seq = value.get("seed_sequence")
            bitgen = getattr(np.random, name_)(
                None if seq is None else np.random.SeedSequence(**_unplain(seq)))
            bitgen.state = {"bit_generator": name_, **_unplain(value["state"])}
            out[name] = np.random.Generator(bitgen)
    drop_event_route(out)
    return out


def drop_event_route(state):
    """Forget the per-event route's cache and prebuilt route in ``state`` (an estimator's
    ``__dict__`` or a copy of it): the next event builds them again from the attributes."""
    state.pop(_EVENT_CACHE, None)
    state.pop(_EVENT_FAST, None)


def _seed_sequence(bitgen):
    """The bit generator's ``SeedSequence`` as plain ints (``None`` if it has none), so that
    ``spawn`` after unpickling gives the same children."""
    seq = getattr(bitgen, "seed_seq", getattr(bitgen, "_seed_seq", None))
    if not isinstance(seq, np.random.SeedSequence):
        return None
    return _plain({"entropy": seq.entropy, "spawn_key": tuple(seq.spawn_key),
                   "pool_size": seq.pool_size, "n_children_spawned": seq.n_children_spawned})


def _plain(value):
    """A bit generator's state as plain Python (dicts, ints, strs; arrays as lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _unplain(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=value["dtype"])
        return {k: _unplain(v) for k, v in value.items()}
    return value
