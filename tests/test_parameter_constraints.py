"""Every exported estimator declares ``_parameter_constraints`` for all its ``__init__``
parameters, and an invalid value raises scikit-learn's ``InvalidParameterError`` naming it; the
signatures follow one convention (keyword-only constructors, ``predict(X, *,
sensitive_features=None)``)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import (InvalidParameterError, generate_invalid_param_val,
                                             make_constraint)

import fairlearn_online
from fairlearn_online._core.validation import validate_params

from exports import exported  # tests/exports.py


def _exported_estimators():
    """Every scikit-learn estimator in the ``__all__`` of any public module
    (``tests/exports.py``)."""
    found = {}
    for _, obj in exported():
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            found[obj.__name__] = obj
    return [found[k] for k in sorted(found)]


ESTIMATORS = _exported_estimators()


def test_the_list_is_complete():
    names = {cls.__name__ for cls in ESTIMATORS}
    assert {"AranyaniClassifier", "MajorityClassClassifier", "RiverClassifier",
            "MultiwinnerSelector", "DCovRegularizedRegressor"} <= names
    assert {n for n in fairlearn_online.__all__ if n[0].isupper() and n != "OWARule"} <= names
    # whatever learns from a stream is an estimator, so it is in the list (mixins aside)
    learners = {obj.__name__ for _, obj in exported() if inspect.isclass(obj)
                and hasattr(obj, "partial_fit") and not obj.__name__.endswith("Mixin")}
    assert learners <= names


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constraints_cover_every_parameter(cls):
    params = cls._get_param_names()  # scikit-learn's reading of __init__'s signature
    constraints = getattr(cls, "_parameter_constraints", None)
    assert isinstance(constraints, dict), f"{cls.__name__} declares no _parameter_constraints"
    assert sorted(constraints) == sorted(params)
    for allowed in constraints.values():
        assert isinstance(allowed, list) and allowed
        for c in allowed:
            make_constraint(c)  # scikit-learn's format
    validate_params(cls())  # the defaults are valid


def _invalid_values(allowed):
    made = [make_constraint(c) for c in allowed]
    for c in made:
        try:
            bad = generate_invalid_param_val(c)
        except NotImplementedError:
            continue
        if not any(other.is_satisfied_by(bad) for other in made):
            yield bad
    for bad in (object(), np.inf, True):
        if not any(c.is_satisfied_by(bad) for c in made):
            yield bad


CASES = [(cls, name, bad) for cls in ESTIMATORS
         for name, allowed in sorted(cls._parameter_constraints.items())
         for bad in _invalid_values(allowed)]


@pytest.mark.parametrize("cls,name,bad", CASES,
                         ids=[f"{c.__name__}-{n}-{b!r:.20}" for c, n, b in CASES])
def test_invalid_value_raises_invalid_parameter_error(cls, name, bad):
    est = cls().set_params(**{name: bad})
    with pytest.raises(InvalidParameterError, match=rf"{cls.__name__}: {name} must be "):
        validate_params(est)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("cls,name,bad", CASES,
                         ids=[f"{c.__name__}-{n}-{b!r:.20}" for c, n, b in CASES])
def test_fit_checks_the_parameters_before_the_data(cls, name, bad, method):
    """The learning methods call ``validate_params`` before they look at the chunk: an invalid
    parameter is reported whatever the data (float features here, which the selector would
    reject as rankings)."""
    est = cls().set_params(**{name: bad})
    with pytest.raises(InvalidParameterError, match=rf"{cls.__name__}: {name} must be "):
        getattr(est, method)(np.zeros((4, 2)), np.array([0, 1, 0, 1]))


def test_invalid_parameter_error_is_a_value_and_a_type_error():
    """So the ``pytest.raises(ValueError)`` / ``TypeError`` of the older tests still hold."""
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


#: the one parameter a wrapper may take positionally: the model it wraps (as scikit-learn's
#: meta-estimators do); every other constructor parameter is keyword-only
POSITIONAL = {"RiverClassifier": ["model"]}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constructor_parameters_are_keyword_only(cls):
    params = list(inspect.signature(cls).parameters.values())
    positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == POSITIONAL.get(cls.__name__, [])
    assert all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)


@pytest.mark.parametrize("cls", [c for c in ESTIMATORS if len(inspect.signature(c).parameters)
                                 > len(POSITIONAL.get(c.__name__, []))],
                         ids=lambda c: c.__name__)
def test_positional_arguments_of_the_previous_release_still_work_with_a_future_warning(cls):
    names = list(inspect.signature(cls).parameters)
    defaults = cls().get_params(deep=False)
    values = [defaults[n] for n in names[:len(POSITIONAL.get(cls.__name__, [])) + 1]]
    with pytest.warns(FutureWarning, match=f"Pass {names[len(values) - 1]}=.* keyword"):
        est = cls(*values)
    assert est.get_params(deep=False) == defaults
    with pytest.raises(TypeError, match="multiple values"):
        cls(*values, **{names[len(values) - 1]: values[-1]})


@pytest.mark.parametrize("cls", [c for c in ESTIMATORS if hasattr(c, "predict")],
                         ids=lambda c: c.__name__)
def test_predict_takes_sensitive_features_by_keyword(cls):
    parameter = inspect.signature(cls.predict).parameters.get("sensitive_features")
    assert parameter is not None and parameter.kind == parameter.KEYWORD_ONLY
