import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fairlearn_online.base import GroupEncoder, check_sensitive_features, check_target
from fairlearn_online.baselines import MajorityClassClassifier


def test_sensitive_features_forms():
    values, cols = check_sensitive_features(["a", "b"], 2)
    assert values.shape == (2, 1) and cols == ["sensitive_feature_0"]
    values, cols = check_sensitive_features(pd.DataFrame({"race": ["x", "y"], "sex": [0, 1]}), 2)
    assert cols == ["race", "sex"] and values[1, 1] == 1
    values, cols = check_sensitive_features(pd.Series(["x", "y"], name="sex", dtype="category"), 2)
    assert cols == ["sex"] and values[0, 0] == "x"
    values, _ = check_sensitive_features({"a": [1, 2]}, 2)
    assert values.shape == (2, 1)
    # numpy scalars and floats equal to ints are the same group
    values, _ = check_sensitive_features(np.array([1.0, 2.0]), 2)
    assert values[0, 0] == 1 and isinstance(values[0, 0], int)


@pytest.mark.parametrize("bad,match", [
    (["a"], "rows"),
    (["a", None], "missing"),
    ([1.0, np.nan], "missing"),
    ([1.0, np.inf], "infinite"),
    (np.zeros((2, 2, 2)), "dimensions"),
    (np.zeros((2, 0)), "column"),
])
def test_sensitive_features_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        check_sensitive_features(bad, 2)


def test_group_encoder_is_incremental_and_intersectional():
    enc = GroupEncoder()
    values, cols = check_sensitive_features(pd.DataFrame({"r": ["a", "b", "a"], "s": [0, 0, 1]}), 3)
    codes = enc.encode(values, cols, update=True)
    assert codes.tolist() == [0, 1, 2] and enc.groups_[2] == ("a", 1)
    new, _ = check_sensitive_features(pd.DataFrame({"r": ["c", "a"], "s": [0, 0]}), 2)
    frozen = enc.copy()
    assert frozen.encode(new, update=False).tolist() == [-1, 0]
    assert frozen.n_groups == 3
    assert enc.encode(new, update=True).tolist() == [3, 0]
    one_col, _ = check_sensitive_features(["a"], 1)
    with pytest.raises(ValueError, match="columns"):
        enc.encode(one_col, update=True)


def test_check_target():
    assert check_target([1.0, 2.0], 2, numeric=True).dtype == np.float64
    with pytest.raises(ValueError, match="y has 1"):
        check_target([1], 2)
    with pytest.raises(ValueError, match="NaN"):
        check_target([1.0, np.nan], 2)
    with pytest.warns(DataConversionWarning, match="column-vector"):
        assert check_target(np.zeros((2, 1)), 2).shape == (2,)
    with pytest.raises(ValueError, match="1-D"):
        check_target(np.zeros((2, 2)), 2)
    with pytest.raises(ValueError, match="missing"):
        check_target(np.array(["a", None], dtype=object), 2)


def test_streaming_contract_on_majority_baseline():
    X = np.zeros((6, 2))
    y = np.array([1, 1, 0, 0, 0, 1])
    clf = MajorityClassClassifier()
    pred = clf.partial_fit_predict(X[:3], y[:3], classes=[0, 1])
    assert pred.tolist() == [0, 1, 1]
    state = pickle.dumps(clf)
    clf.partial_fit(X[3:], y[3:])
    resumed = pickle.loads(state).partial_fit(X[3:], y[3:])
    np.testing.assert_array_equal(clf.class_count_, resumed.class_count_)
    fitted_once = MajorityClassClassifier().fit(X, y)
    np.testing.assert_array_equal(fitted_once.class_count_, clf.class_count_)
    assert clone(clf).get_params() == clf.get_params()
    # empty chunk after fitting: documented no-op
    clf.partial_fit(np.zeros((0, 2)), np.zeros(0))
    np.testing.assert_array_equal(clf.class_count_, resumed.class_count_)


def test_rejected_chunks_leave_state_unchanged():
    clf = MajorityClassClassifier().partial_fit(np.zeros((4, 2)), [0, 1, 1, 0])
    before = pickle.dumps(clf.__dict__)
    bad_chunks = [
        (np.zeros((2, 3)), [0, 1], "features"),
        (np.array([[np.nan, 0.0], [0.0, 0.0]]), [0, 1], "NaN"),
        (np.zeros((2, 2)), [0, 2], "not among classes_"),
        (np.zeros((2, 2)), [0], "y has 1"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), [0, 1], "could not convert"),
    ]
    for X, y, match in bad_chunks:
        with pytest.raises(ValueError, match=match):
            clf.partial_fit(X, y)
    assert pickle.dumps(clf.__dict__) == before
    with pytest.raises(ValueError, match="one class"):
        MajorityClassClassifier().partial_fit(np.zeros((2, 1)), [1, 1])
    with pytest.raises(ValueError):
        MajorityClassClassifier().fit(np.zeros((0, 1)), [])


def test_pipeline_with_metadata_routing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = rng.integers(0, 2, 50)
    group = rng.choice(["f", "m"], 50)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = MajorityClassClassifier().set_fit_request(sensitive_features=True)
        clf.set_partial_fit_request(sensitive_features=True)
        pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)])
        pipe.fit(X, y, sensitive_features=group)
        assert pipe.predict(X).shape == (50,)
        assert pipe.score(X, y) == pytest.approx(np.mean(y == pipe.predict(X)))
