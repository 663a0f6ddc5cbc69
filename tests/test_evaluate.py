import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.linear_model import SGDClassifier

from fairlearn_online.baselines import MajorityClassClassifier
from fairlearn_online.evaluate import prequential
from fairlearn_online.metrics import Accuracy, DemographicParityDifference


def _stream(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
    group = rng.choice(["a", "b", "c"], n)
    return X, y, group


def test_prequential_own_protocol_matches_fairlearn():
    X, y, group = _stream()
    curve, y_pred = prequential(MajorityClassClassifier(), X, y, sensitive_features=group,
                                every=250, return_predictions=True)
    assert curve["n_samples"].tolist() == [250, 500, 600]
    # prediction i is the majority of y[:i]
    ones = np.concatenate([[0], np.cumsum(y)[:-1]])
    seen = np.arange(len(y))
    np.testing.assert_array_equal(y_pred, (ones > seen - ones).astype(int))
    last = curve.iloc[-1]
    assert last["accuracy"] == pytest.approx(np.mean(y_pred == y))
    assert last["demographic_parity_difference"] == pytest.approx(
        flm.demographic_parity_difference(y, y_pred, sensitive_features=group), abs=1e-12)
    assert last["equalized_odds_difference"] == pytest.approx(
        flm.equalized_odds_difference(y, y_pred, sensitive_features=group), abs=1e-12)


def test_prequential_foreign_estimator_is_test_then_train():
    X, y, group = _stream(300)
    curve, y_pred = prequential(SGDClassifier(loss="log_loss", random_state=0), X, y,
                                sensitive_features=pd.Series(group), every=100,
                                return_predictions=True)
    # replay by hand: predict each sample, then learn it
    ref = SGDClassifier(loss="log_loss", random_state=0)
    expected = [0]
    ref.partial_fit(X[:1], y[:1], classes=[0, 1])
    for i in range(1, len(y)):
        expected.append(ref.predict(X[i:i + 1])[0])
        ref.partial_fit(X[i:i + 1], y[i:i + 1])
    np.testing.assert_array_equal(y_pred, expected)
    assert curve.iloc[-1]["accuracy"] == pytest.approx(np.mean(y_pred == y))


def test_prequential_custom_metrics_and_no_groups():
    X, y, _ = _stream(200)
    curve = prequential(MajorityClassClassifier(), X, y, every=50,
                        metrics={"acc": Accuracy(), "dp": DemographicParityDifference()})
    assert list(curve.columns) == ["n_samples", "acc", "dp"]
    assert (curve["dp"] == 0).all()


def test_prequential_bad_input():
    X, y, group = _stream(100)
    with pytest.raises(ValueError, match="y has"):
        prequential(MajorityClassClassifier(), X, y[:50], sensitive_features=group)
    with pytest.raises(ValueError, match="sensitive_features"):
        prequential(MajorityClassClassifier(), X, y, sensitive_features=group[:10])
    with pytest.raises(ValueError, match="NaN"):
        prequential(MajorityClassClassifier(), X, np.where(y == 1, np.nan, 0.0))
    with pytest.raises(ValueError, match="every"):
        prequential(MajorityClassClassifier(), X, y, every=0)
    with pytest.raises(ValueError, match="at least one row"):
        prequential(MajorityClassClassifier(), X[:0], y[:0])
    with pytest.raises(TypeError, match="partial_fit"):
        prequential(object(), X, y)
