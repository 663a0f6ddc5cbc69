"""One rule and one message for a stream's sensitive columns (``_core.groups``)."""

import numpy as np
import pandas as pd
import pytest

from fairlearn_online._core.groups import check_stream_columns, not_mid_stream
from fairlearn_online.dcov import DCovRegularizedClassifier
from fairlearn_online.forest import AranyaniClassifier
from fairlearn_online.regret import GroupwiseRegretRegressor

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2))
y = (X[:, 0] > 0).astype(int)
sex = rng.choice(["F", "M"], size=40)
MID_STREAM = "were not given at the first call; they cannot start mid-stream"


def test_first_chunk_keeps_its_columns_and_later_chunks_are_aligned():
    frame = pd.DataFrame({"sex": sex, "race": sex[::-1]})
    values, columns = check_stream_columns(frame, 40, None, reset=True)
    assert columns == ["sex", "race"]
    later, later_columns = check_stream_columns(frame[["race", "sex"]], 40, columns, reset=False)
    assert later_columns == ["sex", "race"] and np.array_equal(later, values)


def test_none_is_allowed_only_for_a_stream_without_sensitive_features():
    assert check_stream_columns(None, 3, None, reset=True) == (None, None)
    assert check_stream_columns(None, 3, None, reset=False) == (None, None)
    with pytest.raises(ValueError, match=r"sensitive_features is required.*\['sex'\]"):
        check_stream_columns(None, 3, ["sex"], reset=False)
    with pytest.raises(ValueError, match=MID_STREAM):
        check_stream_columns(["F", "M", "F"], 3, None, reset=False)
    assert str(not_mid_stream("groups")).startswith("groups were not given")


@pytest.mark.parametrize("make", [
    lambda: AranyaniClassifier(n_trees=2, depth=2, random_state=0),
    lambda: DCovRegularizedClassifier(random_state=0),
    lambda: GroupwiseRegretRegressor(),
])
def test_every_estimator_says_the_same_when_groups_start_mid_stream(make):
    est = make()
    target = y if not isinstance(est, GroupwiseRegretRegressor) else X[:, 0]
    est.partial_fit(X[:20], target[:20])
    with pytest.raises(ValueError, match="sensitive_features " + MID_STREAM):
        est.partial_fit(X[20:], target[20:], sensitive_features=sex[20:])
    with pytest.raises(ValueError, match="sensitive_features " + MID_STREAM):
        est.partial_fit(X[:0], target[:0], sensitive_features=sex[:0])
