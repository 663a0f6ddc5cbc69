"""Hyper-parameters and keyword arguments: declarative checks and one mid-stream rule.

* :func:`validate_params`: scikit-learn's declarative ``_parameter_constraints`` (``Interval``,
  ``StrOptions``, ``HasMethods``, types, ``None``), so an invalid value raises scikit-learn's
  ``InvalidParameterError`` (a ``ValueError`` and a ``TypeError``) naming the parameter:
  ``"AranyaniClassifier: depth must be an integer in [1, 12]; got 13."``. Every estimator
  declares a constraint for each ``__init__`` parameter (tests/test_parameter_constraints.py);
  the rules that tie parameters together (``fairness_target="output"`` needs the aggregate
  memory, say) go in the one hook ``_check_param_rules(self)``, which :func:`validate_params`
  calls once every single parameter is valid.
* **Frozen parameters** (:func:`record_frozen_params`, :func:`check_frozen_params`): a
  parameter that shapes the learned state (sizes, the kind of statistics kept, the optimizer,
  the seed) cannot change after the first ``partial_fit``. Using the estimator after such a
  change raises a ``ValueError`` that names the parameter and says to call ``fit`` (which
  starts over with the current parameters) or ``clone``; the learned state is left untouched.
  Each estimator lists in ``_mutable_params`` the parameters that may change between chunks
  (e.g. ``fairness_weight``, ``learning_rate``); every other parameter is frozen. The lists
  are documented in ``docs/user_guide/protocol.md`` and tested against it.
* :func:`check_method_kwargs`: a misspelled keyword (``sensitive_feature=``) or an unsupported
  one (``sample_weight=``) is a ``TypeError`` naming the public method, not a private helper.
"""

from __future__ import annotations

import copy
import difflib
import inspect

from numbers import Integral, Real  # noqa: F401  (re-exported for the estimators)

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import _param_validation as _pv
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported for the estimators)
    HasMethods,
    Hidden,
    InvalidParameterError,
    StrOptions,
    make_constraint,
)

__all__ = [
    "HasMethods",
    "Integral",
    "Interval",
    "InvalidParameterError",
    "Real",
    "StrOptions",
    "check_frozen_params",
    "check_method_kwargs",
    "frozen_param_names",
    "mutable_param_names",
    "record_frozen_params",
    "validate_params",
]

#: Attribute holding the frozen parameters' values at the first ``partial_fit``.
FROZEN_ATTR = "_frozen_params_"


class Interval(_pv.Interval):
    """scikit-learn's ``Interval``, for numbers only: a bool is not a number, and a real value
    must be finite (an unbounded side still excludes ``inf``), as the imperative checks it
    replaces required."""

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        if not super().is_satisfied_by(val):
            return False
        return isinstance(val, Integral) or bool(np.isfinite(val))


#: the usual constraints, by meaning
POSITIVE = Interval(Real, 0, None, closed="neither")
NON_NEGATIVE = Interval(Real, 0, None, closed="left")
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
UNIT_INTERVAL_OPEN_RIGHT = Interval(Real, 0, 1, closed="left")  # [0, 1)
UNIT_INTERVAL_OPEN_LEFT = Interval(Real, 0, 1, closed="right")  # (0, 1]
RANDOM_STATE = ["random_state", np.random.Generator]  # None, int, RandomState or Generator


def _describe(constraint) -> str:
    """A constraint in the words of the library's messages (``one of [...]``, ``> 0``)."""
    if isinstance(constraint, StrOptions):
        return f"one of {sorted(constraint.options)}"
    if isinstance(constraint, _pv.Interval):
        kind = "an integer" if constraint.type is Integral else "a real number"
        left_closed = constraint.closed in ("left", "both")
        right_closed = constraint.closed in ("right", "both")
        if constraint.right is None:
            if constraint.left is None:
                return kind
            return f"{kind} {'>=' if left_closed else '>'} {constraint.left}"
        if constraint.left is None:
            return f"{kind} {'<=' if right_closed else '<'} {constraint.right}"
        return (f"{kind} in {'[' if left_closed else '('}{constraint.left}, {constraint.right}"
                f"{']' if right_closed else ')'}")
    if isinstance(constraint, _pv._Booleans):
        return "a bool"
    if isinstance(constraint, _pv._NoneConstraint):
        return "None"
    if isinstance(constraint, _pv._InstancesOf):
        return f"an instance of {constraint.type.__name__}"
    return str(constraint)


def validate_params(estimator):
    """Check ``estimator.get_params(deep=False)`` against its ``_parameter_constraints``, then
    the estimator's cross-parameter hook ``_check_param_rules()`` (if it has one).

    Parameters
    ----------
    estimator : estimator
        Declares ``_parameter_constraints`` (a dict ``name -> list of constraints``, in
        scikit-learn's format; a value is valid when it satisfies one of them).

    Raises
    ------
    InvalidParameterError
        Naming the estimator, the first parameter whose value satisfies none of its constraints,
        what it must be and the value received. A ``ValueError`` and a ``TypeError``.
    """
    constraints = getattr(estimator, "_parameter_constraints", None) or {}
    params = estimator.get_params(deep=False)
    for name, allowed in constraints.items():
        if name not in params or allowed == "no_validation":
            continue
        value = params[name]
        made = [make_constraint(c) for c in allowed]
        if any(c.is_satisfied_by(value) for c in made):
            continue
        words = [_describe(c) for c in made if not c.hidden]
        what = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        raise InvalidParameterError(
            f"{type(estimator).__name__}: {name} must be {what}; got {value!r}.")
    hook = getattr(estimator, "_check_param_rules", None)
    if hook is not None:
        hook()


def mutable_param_names(estimator) -> tuple:
    """Parameters that may change between chunks (``_mutable_params``), sorted."""
    return tuple(sorted(getattr(estimator, "_mutable_params", ())))


def frozen_param_names(estimator) -> tuple:
    """Parameters fixed by the first ``partial_fit``: every parameter not in ``_mutable_params``."""
    mutable = set(mutable_param_names(estimator))
    return tuple(name for name in estimator.get_params(deep=False) if name not in mutable)


def _snapshot(value):
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return value  # compared by identity: the estimator consumes it
    if isinstance(value, BaseEstimator):
        return ("<estimator>", type(value), {k: _snapshot(v)
                                             for k, v in value.get_params(deep=False).items()})
    try:
        copied = copy.deepcopy(value)
    except Exception:  # not copyable: compare by identity
        return value
    if isinstance(value, np.ndarray):
        return copied
    try:
        has_value_equality = bool(copied == value)
    except Exception:
        has_value_equality = False
    # an object without value equality (a river model instance, say) would never equal its
    # copy: compare it by identity instead
    return copied if has_value_equality else value


def _is_estimator_snapshot(value) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and value[:1] == ("<estimator>",)


def _same(old, new) -> bool:
    if old is new:
        return True
    if _is_estimator_snapshot(old):
        if not isinstance(new, BaseEstimator):
            return False
        new = _snapshot(new)
        return old[1] is new[1] and _same(old[2], new[2])
    if isinstance(old, (np.random.RandomState, np.random.Generator)):
        return False
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(old), np.asarray(new)))
        except Exception:
            return False
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return type(old) is type(new) and len(old) == len(new) and all(
            _same(a, b) for a, b in zip(old, new))
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if (isinstance(old, str) != isinstance(new, str)
            or isinstance(old, bool) != isinstance(new, bool)):
        return False
    try:
        return bool(old == new)
    except Exception:
        return False


def record_frozen_params(estimator):
    """Remember the frozen parameters' values (call when the first chunk is committed)."""
    params = estimator.get_params(deep=False)
    setattr(estimator, FROZEN_ATTR,
            {name: _snapshot(params[name]) for name in frozen_param_names(estimator)})


def check_frozen_params(estimator):
    """Raise if a frozen parameter changed since the first ``partial_fit``; change nothing.

    Parameters
    ----------
    estimator : estimator
        Fitted (estimators fitted before this check existed, without a record, pass).

    Raises
    ------
    ValueError
        Naming the first changed parameter, its old and new value, and what to do.
    """
    recorded = getattr(estimator, FROZEN_ATTR, None)
    if recorded is None:
        return
    params = estimator.get_params(deep=False)
    for name, old in recorded.items():
        new = params.get(name)
        if not _same(old, new):
            shown_old = old[1].__name__ + "(...)" if _is_estimator_snapshot(old) else repr(old)
            mutable = mutable_param_names(estimator)
            raise ValueError(
                f"{type(estimator).__name__}: {name} was {shown_old} at the first partial_fit "
                f"and is now {new!r}. It shapes the learned state, so it cannot change "
                "mid-stream; call fit(...) to start over with the new value, or clone() the "
                "estimator for a fresh one (or set it back). Parameters that may change between "
                f"chunks: {', '.join(mutable) if mutable else 'none'}.")


def check_method_kwargs(estimator, method, kwargs, accepted):
    """``TypeError`` from the public ``method`` for keyword arguments it does not take.

    Parameters
    ----------
    estimator : object
    method : str
        Public method name used in the message (``"partial_fit"``).
    kwargs : dict
        The extra keyword arguments received.
    accepted : callable or iterable of str
        A function whose keyword parameters are accepted (e.g. the estimator's
        ``_validate_partial_fit``), or their names.

    Raises
    ------
    TypeError
        For the first keyword not accepted; ``sample_weight`` gets its own explanation and a
        near-miss spelling a suggestion.
    """
    if not kwargs:
        return
    if callable(accepted):
        names = {p.name for p in inspect.signature(accepted).parameters.values()
                 if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    else:
        names = set(accepted)
    names |= {"sensitive_features"}
    names -= {"self", "X", "y"}
    for key in kwargs:
        if key in names:
            continue
        cls = type(estimator).__name__
        if key == "sample_weight":
            raise TypeError(
                f"{cls}.{method}() does not support sample_weight: it learns every sample once, "
                "with unit weight, in stream order. Repeat or subsample rows to weight them.")
        close = difflib.get_close_matches(key, sorted(names), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        raise TypeError(f"{cls}.{method}() got an unexpected keyword argument {key!r}{hint}")
