"""One group state and one set of rules for every kind of sensitive features (``_core.groups``):
labels and intersections, the typed frames of dCov, explicit membership matrices."""

import numpy as np
import pandas as pd
import pytest

from fairlearn_online._core.groups import (GroupEncoder, check_membership_matrix,
                                           check_sensitive_features, encode_groups,
                                           encode_typed_attributes, group_source, typed_frame,
                                           typed_subgroups)
from fairlearn_online.baselines import OnlineFairLogisticClassifier
from fairlearn_online.dcov import (DCovRegularizedClassifier, encode_sensitive_features,
                                   intersectional_subgroups)
from fairlearn_online.forest import AranyaniClassifier
from fairlearn_online.regret import GroupwiseRegretRegressor
from fairlearn_online.selection import MultiwinnerSelector

FRAME = pd.DataFrame({"race": ["a", "b", "c", "a"], "sex": ["F", "M", "M", "F"],
                      "age": [20, 35, 51, 44]})


def test_dcov_encoders_are_the_core_ones():
    ours = encode_sensitive_features(FRAME)
    core = encode_typed_attributes(FRAME, None)
    assert [b["name"] for b in ours] == [b["name"] for b in core] == ["race", "sex", "age"]
    for a, b in zip(ours, core):
        assert a["kind"] == b["kind"] and np.array_equal(a["values"], b["values"])
    codes, labels = intersectional_subgroups(FRAME, numeric_bins=2)
    core_codes, core_labels = typed_subgroups(FRAME, numeric_bins=2)
    assert codes.tolist() == core_codes.tolist() and labels == core_labels


@pytest.mark.parametrize("bad, n_samples", [
    (["a", None, "b"], 3),
    ([1.0, np.inf, 2.0], 3),
    (np.zeros((3, 0)), 3),
    (np.zeros((3, 2, 2)), 3),
    ("a", 1),
    (None, 3),
])
def test_one_message_for_the_same_bad_input(bad, n_samples):
    with pytest.raises(ValueError) as labels:
        check_sensitive_features(bad, n_samples)
    with pytest.raises(ValueError) as typed:
        encode_sensitive_features(bad, n_samples=n_samples)
    assert str(typed.value) == str(labels.value)


def test_messages_name_the_column():
    frame = pd.DataFrame({"sex": ["F", "M"], "race": ["a", None]})
    for check in (lambda: check_sensitive_features(frame, 2),
                  lambda: encode_sensitive_features(frame)):
        with pytest.raises(ValueError, match="missing values .* in column 'race'"):
            check()


def test_typed_frames_name_and_type_columns_as_the_labels_do():
    unnamed = pd.Series(["F", "M", "F"])
    assert typed_frame(unnamed)[1] == check_sensitive_features(unnamed, 3)[1]
    assert encode_sensitive_features(unnamed)[0]["name"] == "sensitive_feature_0"
    # a tuple of rows keeps its Python objects as a list does (numpy made the ages strings)
    rows = [("a", 20), ("b", 31), ("c", 45), ("a", 50)]
    assert ([b["kind"] for b in encode_sensitive_features(tuple(rows))]
            == [b["kind"] for b in encode_sensitive_features(rows)] == ["categorical", "numeric"])


# ---------------------------------------------------------------- explicit membership
X = np.random.default_rng(0).normal(size=(40, 2))
y = (X[:, 0] > 0).astype(int)
SEX = np.random.default_rng(1).choice(["F", "M"], size=40)


def _fitted(make, **first):
    """An estimator fitted on the first 20 rows, and its targets for all 40."""
    est = make()
    target = X[:, 0] if isinstance(est, GroupwiseRegretRegressor) else y
    return est.partial_fit(X[:20], target[:20], **first), target


ESTIMATORS = [
    lambda: AranyaniClassifier(n_trees=2, depth=2, random_state=0),
    lambda: DCovRegularizedClassifier(random_state=0),
    lambda: OnlineFairLogisticClassifier(),
    lambda: GroupwiseRegretRegressor(),
]


@pytest.mark.parametrize("make", ESTIMATORS)
def test_every_estimator_says_the_same_when_its_groups_go_missing(make):
    est, target = _fitted(make, sensitive_features=pd.DataFrame({"sex": SEX[:20]}))
    expected = "sensitive_features is required: the estimator was fitted with sensitive " \
               "features ['sex']."
    for rows in (slice(20, 40), slice(0, 0)):
        with pytest.raises(ValueError) as error:
            est.partial_fit(X[rows], target[rows])
        assert str(error.value) == expected


def test_membership_matrices_follow_the_same_rules():
    member = pd.DataFrame({"young": X[:, 0] > 0, "old": X[:, 1] > 0})
    est = GroupwiseRegretRegressor().fit(X[:20], X[:20, 0], groups=member[:20])
    with pytest.raises(ValueError, match=r"^groups is required: the estimator was fitted with "
                                         r"groups \['young', 'old'\]\.$"):
        est.partial_fit(X[20:], X[20:, 0])
    with pytest.raises(ValueError, match="not both"):
        group_source(SEX, member)
    with pytest.raises(ValueError, match="^groups were not given at the first call"):
        group_source(groups=member, fitted_source="none")
    assert group_source(groups=member, fitted_source="groups") == "groups"
    checked, names = check_membership_matrix(member, 40)
    assert checked.dtype == bool and names == ["young", "old"]


def test_the_membership_numbers_its_groups_with_the_group_encoder():
    membership = GroupwiseRegretRegressor().fit(
        X[:20], X[:20, 0], sensitive_features=SEX[:20]).membership_
    assert isinstance(membership.encoder, GroupEncoder)
    assert membership.keys == membership.encoder.groups_
    assert [membership.encoder.code(k, update=False) for k in membership.keys] == [0, 1, 2]


def test_a_batch_of_item_groups_is_encoded_by_the_core():
    codes, groups = encode_groups(["b", "a", "b"], 3, name="item_groups")
    assert codes.tolist() == [0, 1, 0] and groups == ["b", "a"]
    selector = MultiwinnerSelector(k=1).fit(np.array([[0, 1, 2], [1, 0, 2]]),
                                            item_groups=["b", "a", "b"])
    assert selector.groups_ == groups and selector.item_groups_.tolist() == codes.tolist()
    with pytest.raises(ValueError, match="^item_groups contains missing values"):
        encode_groups(["b", None], 2, name="item_groups")
