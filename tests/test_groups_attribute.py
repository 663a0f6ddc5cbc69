"""One public name for the learned sensitive-feature groups: ``groups_`` (issue 15)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from fairlearn_online.baselines import (FAHTClassifier, GroupIndicatorRidgeRegressor,
                                        OnlineFairLogisticClassifier)
from fairlearn_online.forest import AranyaniClassifier
from fairlearn_online.metrics import FairnessDriftDetector, StreamingMetricFrame
from fairlearn_online.regret import GroupwiseRegretRegressor

rng = np.random.default_rng(0)
X = rng.normal(size=(80, 3))
y = (X[:, 0] > 0).astype(int)
sex = rng.choice(["F", "M"], size=80)
race = rng.choice(["a", "b"], size=80)

CLASSIFIERS = [
    lambda: AranyaniClassifier(n_trees=2, depth=2, random_state=0),
    lambda: OnlineFairLogisticClassifier(),
    lambda: FAHTClassifier(),
]
REGRESSORS = [lambda: GroupwiseRegretRegressor(), lambda: GroupIndicatorRidgeRegressor()]


@pytest.mark.parametrize("make", CLASSIFIERS)
def test_classifiers_list_their_groups_in_code_order(make):
    est = make()
    assert not hasattr(est, "groups_")
    est.partial_fit(X[:40], y[:40], sensitive_features=sex[:40])
    first = list(dict.fromkeys(sex[:40]))
    assert est.groups_ == first == est.group_encoder_.groups_
    late = np.where(np.arange(40) % 2, "other", sex[40:])
    est.partial_fit(X[40:], y[40:], sensitive_features=late)
    assert est.groups_ == first + ["other"]
    est.groups_.append("not stored")  # a copy: the learned state does not change
    assert est.groups_ == first + ["other"]


@pytest.mark.parametrize("make", CLASSIFIERS)
def test_intersections_are_tuples_and_no_sensitive_features_is_one_group(make):
    frame = pd.DataFrame({"sex": sex, "race": race})
    est = make().fit(X, y, sensitive_features=frame)
    assert est.groups_ == list(dict.fromkeys(zip(sex, race)))
    assert make().fit(X, y).groups_ == [None]


@pytest.mark.parametrize("make", REGRESSORS)
def test_regret_learners_name_their_groups_and_the_old_name_warns(make):
    est = make()
    assert not hasattr(est, "groups_")
    est.fit(X, X[:, 0], sensitive_features=sex)
    assert "F" in est.groups_ and "M" in est.groups_
    with pytest.warns(FutureWarning, match="group_names_ was renamed groups_"):
        old = est.group_names_
    assert old == est.groups_


def test_groups_does_not_warn():
    est = GroupwiseRegretRegressor().fit(X, X[:, 0], sensitive_features=sex)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert est.groups_[0] == "always_on"


def test_running_metrics_use_the_same_name():
    frame = StreamingMetricFrame(["selection_rate"])
    frame.update(y, y, sensitive_features=sex)
    assert frame.groups_ == list(dict.fromkeys(sex))
    drift = FairnessDriftDetector()
    drift.update(y, y, sensitive_features=sex)
    assert drift.groups_ == list(dict.fromkeys(sex))


def test_group_counts_name_their_groups_groups_and_the_old_name_warns():
    from fairlearn_online.metrics._group_counts import GroupConfusionCounts

    counts = GroupConfusionCounts().update(y, y, sex)
    assert counts.groups_ == list(dict.fromkeys(sex))
    with pytest.warns(FutureWarning, match="groups was renamed groups_"):
        assert counts.groups == counts.groups_
