"""fairlearn_online.river: the library's estimators as river models, and river models here."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

pytest.importorskip("river")
from river import compose, evaluate, metrics, preprocessing  # noqa: E402
from river.base import Classifier, Regressor  # noqa: E402

from fairlearn_online import AranyaniClassifier, GroupwiseRegretRegressor  # noqa: E402
from fairlearn_online.evaluate import prequential  # noqa: E402
from fairlearn_online.river import RiverClassifier, from_river, to_river  # noqa: E402


def _stream(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    sex = rng.choice(["F", "M"], size=n)
    race = rng.choice(["w", "b"], size=n)
    y = (X[:, 0] + (sex == "M") + 0.3 * rng.normal(size=n) > 0.5).astype(int)
    events = [({"a": X[i, 0], "b": X[i, 1], "c": X[i, 2], "sex": sex[i], "race": race[i]},
               int(y[i])) for i in range(n)]
    return X, y, sex, race, events


def test_progressive_val_score_matches_prequential():
    X, y, sex, _, events = _stream()
    base = AranyaniClassifier(n_trees=2, depth=3, fairness_weight=5.0, random_state=0)
    # both start from the same state: river's protocol cannot predict before the first
    # event has fixed the features, the library's prequential predicts it with the
    # initialisation; a first chunk learned by both removes that one-sample difference
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    warm = clone(base).partial_fit(frame[:20], y[:20], sensitive_features=sex[:20],
                                   classes=[0, 1])
    ours = pickle.loads(pickle.dumps(warm))
    curve = prequential(ours, frame[20:], y[20:], sensitive_features=sex[20:], every=1000)
    river_events = [({"x0": x["a"], "x1": x["b"], "x2": x["c"], "sex": x["sex"]}, label)
                    for x, label in events[20:]]
    model = to_river(pickle.loads(pickle.dumps(warm)), "sex")
    assert isinstance(model, Classifier)
    metric = evaluate.progressive_val_score(river_events, model, metrics.Accuracy())
    assert metric.get() == curve["accuracy"].iloc[-1]
    # and the learned models are the same
    np.testing.assert_array_equal(model.estimator.node_weights_, ours.node_weights_)


def test_from_the_first_event_classes_fixed_by_two_labels():
    X, y, sex, _, events = _stream(n=120)
    events = [({k: x[k] for k in ("a", "b", "c", "sex")}, label) for x, label in events]
    model = to_river(AranyaniClassifier(n_trees=2, depth=2, random_state=0), "sex")
    assert model.predict_one(events[0][0]) is None and model.predict_proba_one(events[0][0]) == {}
    for x, label in events:
        model.learn_one(x, label)
    ref = AranyaniClassifier(n_trees=2, depth=2, random_state=0)
    ref.partial_fit(pd.DataFrame(X, columns=["a", "b", "c"]), y, sensitive_features=sex,
                    classes=[0, 1])
    np.testing.assert_array_equal(model.estimator.leaf_logits_, ref.leaf_logits_)
    np.testing.assert_array_equal(model.estimator.node_weights_, ref.node_weights_)
    assert model.predict_proba_one(events[0][0]) == ref.predict_proba_one(
        {k: events[0][0][k] for k in ("a", "b", "c")})
    with pytest.raises(ValueError, match="numeric"):  # a string attribute as a model input
        to_river(AranyaniClassifier(), "sex", use_as_feature=True, classes=[0, 1]).learn_one(
            events[0][0], 1)


def test_pipeline_with_preprocessing_and_intersectional_key():
    _, _, _, _, events = _stream()
    model = to_river(AranyaniClassifier(n_trees=2, depth=2, fairness_weight=1.0,
                                        random_state=0), ("sex", "race"), classes=[0, 1])
    pipe = (compose.Discard("sex", "race") | preprocessing.StandardScaler()) \
        + compose.Select("sex", "race") | model
    metric = evaluate.progressive_val_score(events, pipe, metrics.Accuracy())
    assert 0.5 < metric.get() <= 1.0
    est = model.estimator
    assert est.group_encoder_.columns_ == ["sex", "race"]
    assert sorted(est.group_encoder_.groups_) == [("F", "b"), ("F", "w"), ("M", "b"), ("M", "w")]
    assert list(est.feature_names_in_) == ["a", "b", "c"]


def test_use_as_feature_and_regressor():
    rng = np.random.default_rng(1)
    model = to_river(GroupwiseRegretRegressor(), "g", use_as_feature=True)
    assert isinstance(model, Regressor)
    for _ in range(50):
        x = {"u": float(rng.normal()), "g": int(rng.integers(0, 2))}
        model.learn_one(x, 2.0 * x["u"] + x["g"])
    assert list(model.estimator.feature_names_in_) == ["u", "g"]
    assert isinstance(model.predict_one({"u": 0.5, "g": 1}), float)
    with pytest.raises(ValueError, match="sensitive_key"):
        model.learn_one({"u": 1.0}, 1.0)


def test_from_river_and_deprecated_name():
    X, y, sex, _, _ = _stream(n=100)
    est = from_river("hoeffding_tree")
    assert isinstance(est, RiverClassifier)
    pred = est.partial_fit_predict(X, y, sensitive_features=sex)
    assert pred.shape == (100,)
    from river import tree

    inst = from_river(tree.HoeffdingTreeClassifier(grace_period=50))
    np.testing.assert_array_equal(inst.fit(X, y).predict(X), inst.predict(X))
    with pytest.warns(DeprecationWarning, match="moved"):
        from fairlearn_online.forest import RiverClassifier as old
    assert old is RiverClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import fairlearn_online.river  # noqa: F401  no warning on the new path
