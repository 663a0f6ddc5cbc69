"""scikit-learn's estimator checks over every estimator the package exports.

Expected failures are declared in one place, ``fairlearn_online.utils.EXPECTED_FAILED_CHECKS``;
nothing is skipped silently.
"""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

from fairlearn_online.baselines import MajorityClassClassifier
from fairlearn_online.river import RiverClassifier
from fairlearn_online.utils import EXPECTED_FAILED_CHECKS, NOT_SKLEARN_PREDICTORS

from exports import exported  # tests/exports.py


def _exported_estimators():
    """Every scikit-learn estimator in the ``__all__`` of any public module
    (``tests/exports.py``), the river adapter and the majority baseline included."""
    classes = {obj for _, obj in exported()
               if inspect.isclass(obj) and issubclass(obj, BaseEstimator)}
    assert {MajorityClassClassifier, RiverClassifier} <= classes
    return sorted(classes, key=lambda c: c.__name__)


ESTIMATORS = [cls() for cls in _exported_estimators() if cls.__name__ not in NOT_SKLEARN_PREDICTORS]


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_exported_estimator_is_checked_or_explained():
    names = {type(e).__name__ for e in ESTIMATORS}
    for cls in _exported_estimators():
        assert cls.__name__ in names or NOT_SKLEARN_PREDICTORS.get(cls.__name__)
    for name, checks in EXPECTED_FAILED_CHECKS.items():
        for check, reason in checks.items():
            assert isinstance(reason, str) and len(reason) > 10, (name, check)
