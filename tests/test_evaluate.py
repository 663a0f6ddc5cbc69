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


# ---- pos_label, regressors, delayed labels (issues 16 item 5 and 17 item 4) -----------------
def _labelled_stream(labels, n=400, seed=1):
    X, y01, group = _stream(n, seed)
    return X, np.asarray(labels, dtype=object)[y01].astype(type(labels[0])), group


@pytest.mark.parametrize("labels", [("<=50K", ">50K"), (0, 2)])
def test_prequential_default_pos_label_is_last_class(labels):
    X, y, group = _labelled_stream(labels)
    curve, y_pred = prequential(SGDClassifier(loss="log_loss", random_state=0), X, y,
                                sensitive_features=group, every=100, return_predictions=True)
    last = curve.iloc[-1]
    pos = labels[1]
    expected = flm.demographic_parity_difference(y == pos, y_pred == pos,
                                                 sensitive_features=group)
    assert expected > 0
    assert last["demographic_parity_difference"] == pytest.approx(expected, abs=1e-12)
    assert last["selection_rate"] == pytest.approx(np.mean(y_pred == pos), abs=1e-12)
    eo = flm.equalized_odds_difference(y == pos, y_pred == pos, sensitive_features=group)
    assert last["equalized_odds_difference"] == pytest.approx(eo, abs=1e-12)
    other = prequential(SGDClassifier(loss="log_loss", random_state=0), X, y,
                        sensitive_features=group, every=100, pos_label=labels[0])
    assert other.iloc[-1]["selection_rate"] == pytest.approx(1 - last["selection_rate"])
    with pytest.raises(ValueError, match="pos_label"):
        prequential(SGDClassifier(), X, y, sensitive_features=group, pos_label="nope")


def test_prequential_regressor_reports_regression_metrics():
    from sklearn.linear_model import SGDRegressor
    from sklearn.metrics import mean_squared_error

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=300)
    group = rng.choice(["a", "b"], 300)
    curve, y_pred = prequential(SGDRegressor(random_state=0), X, y, sensitive_features=group,
                                every=100, return_predictions=True)
    last = curve.iloc[-1]
    assert "accuracy" not in curve.columns
    assert last["mean_squared_error"] == pytest.approx(mean_squared_error(y, y_pred), rel=1e-12)
    ref = flm.MetricFrame(metrics=flm.mean_prediction, y_true=y, y_pred=y_pred,
                          sensitive_features=group)
    assert last["mean_prediction_difference"] == pytest.approx(ref.difference(), abs=1e-12)
    assert last["mean_prediction_difference"] > 0
    with pytest.raises(ValueError, match="pos_label"):
        prequential(SGDRegressor(), X, y, pos_label=1)


def _replay_with_delay(make, X, y, arrival):
    """Plain loop: predict sample t, then learn every label arriving at t (in sample order)."""
    est, preds, first = make(), [], True
    for t in range(len(y)):
        try:
            preds.append(est.predict(X[t:t + 1])[0])
        except Exception:  # not fitted yet
            preds.append(0)
        for i in [i for i in range(len(y)) if arrival[i] == t] if t < len(y) - 1 else \
                [i for i in range(len(y)) if arrival[i] >= t]:
            est.partial_fit(X[i:i + 1], y[i:i + 1], **({"classes": [0, 1]} if first else {}))
            first = False
    return np.array(preds)


@pytest.mark.parametrize("delay", [0, 7, "array"])
def test_prequential_delay_matches_a_plain_replay(delay):
    X, y, group = _stream(150, 3)
    rng = np.random.default_rng(0)
    d = rng.integers(0, 20, len(y)) if delay == "array" else delay
    arrival = np.arange(len(y)) + d
    make = lambda: SGDClassifier(loss="log_loss", random_state=0)  # noqa: E731
    curve, y_pred = prequential(make(), X, y, sensitive_features=group, every=50, delay=d,
                                return_predictions=True)
    np.testing.assert_array_equal(y_pred, _replay_with_delay(make, X, y, arrival))
    # metrics at label time: over the predictions whose label arrived by the report
    for _, row in curve.iterrows():
        t = int(row["n_samples"]) - 1
        done = arrival <= t if t < len(y) - 1 else np.ones(len(y), bool)
        assert row["n_labelled"] == done.sum()
        assert row["accuracy"] == pytest.approx(np.mean(y_pred[done] == y[done]), abs=1e-12)
        assert row["equalized_odds_difference"] == pytest.approx(flm.equalized_odds_difference(
            y[done], y_pred[done], sensitive_features=group[done]), abs=1e-12)
        seen = slice(0, t + 1)  # demographic parity needs no label
        assert row["demographic_parity_difference_at_prediction"] == pytest.approx(
            flm.demographic_parity_difference(y[seen], y_pred[seen],
                                              sensitive_features=group[seen]), abs=1e-12)
    if delay == 0:
        plain = prequential(make(), X, y, sensitive_features=group, every=50)
        pd.testing.assert_series_equal(plain["accuracy"], curve["accuracy"])


def test_prequential_delay_zero_equals_own_protocol():
    X, y, group = _stream(200, 4)
    a = prequential(MajorityClassClassifier(), X, y, sensitive_features=group, every=60,
                    return_predictions=True)[1]
    b = prequential(MajorityClassClassifier(), X, y, sensitive_features=group, every=60,
                    delay=0, return_predictions=True)[1]
    np.testing.assert_array_equal(a, b)


def test_prequential_bad_delay():
    X, y, group = _stream(50)
    for bad, match in [(-1, ">= 0"), (np.ones(3, int), "array of 50"), (np.full(50, 0.5), "integers")]:
        with pytest.raises(ValueError, match=match):
            prequential(MajorityClassClassifier(), X, y, delay=bad)
