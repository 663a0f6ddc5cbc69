"""One group state and one set of rules for every kind of sensitive features (``_core.groups``):
labels and intersections, the typed frames of dCov, explicit membership matrices."""

import numpy as np
import pandas as pd
import pytest

from fairlearn_online._core.groups import (check_sensitive_features, encode_typed_attributes,
                                           typed_frame, typed_subgroups)
from fairlearn_online.dcov import encode_sensitive_features, intersectional_subgroups

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
