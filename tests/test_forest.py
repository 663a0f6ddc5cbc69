"""AranyaniClassifier and the forest baselines: estimator contract, streaming behaviour, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fairlearn_online import AranyaniClassifier
from fairlearn_online.baselines import OnlineFairLogisticClassifier
from fairlearn_online.river import RiverClassifier
from fairlearn_online.utils import EXPECTED_FAILED_CHECKS


def _expected(est):
    return EXPECTED_FAILED_CHECKS.get(type(est).__name__, {})


@parametrize_with_checks([AranyaniClassifier(random_state=0), OnlineFairLogisticClassifier()],
                         expected_failed_checks=_expected)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _data(n=300, seed=0, n_classes=2, groups=("f", "m")):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    g = rng.choice(np.array(groups, dtype=object), n)
    score = X[:, 0] + 0.8 * (g == groups[0]) + 0.3 * rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y, g


def _state(est):
    return {k: pickle.dumps(v) for k, v in vars(est).items()}


FOREST_KW = [dict(fairness_weight=2.0), dict(fairness_weight=2.0, fairness_memory="reservoir",
                                             reservoir_size=20),
             dict(fairness_weight=5.0, fairness_gradient="uncapped"),
             dict(fairness_weight=50.0, fairness_target="output", statistics_decay=0.99)]


@pytest.mark.parametrize("kw", FOREST_KW)
def test_pickle_midstream_resume_is_identical(kw):
    X, y, g = _data(400)
    full = AranyaniClassifier(random_state=1, **kw)
    p_full = full.partial_fit_predict(X, y, sensitive_features=g)
    half = AranyaniClassifier(random_state=1, **kw)
    p1 = half.partial_fit_predict(X[:150], y[:150], sensitive_features=g[:150])
    resumed = pickle.loads(pickle.dumps(half))
    p2 = resumed.partial_fit_predict(X[150:], y[150:], sensitive_features=g[150:])
    np.testing.assert_array_equal(np.concatenate([p1, p2]), p_full)
    np.testing.assert_array_equal(resumed.predict_proba(X), full.predict_proba(X))


@pytest.mark.parametrize("kw", FOREST_KW)
def test_chunking_does_not_matter_and_fit_resets(kw):
    X, y, g = _data(300)
    one = AranyaniClassifier(random_state=2, **kw).fit(X, y, sensitive_features=g)
    many = AranyaniClassifier(random_state=2, **kw)
    for start in range(0, 300, 37):
        many.partial_fit(X[start:start + 37], y[start:start + 37],
                         sensitive_features=g[start:start + 37])
    np.testing.assert_array_equal(one.predict_proba(X), many.predict_proba(X))
    many.fit(X, y, sensitive_features=g)  # fit = reset + one pass
    np.testing.assert_array_equal(one.predict_proba(X), many.predict_proba(X))
    assert many.n_samples_seen_ == 300


def test_clone_get_set_params():
    est = AranyaniClassifier(n_trees=2, depth=3, fairness_weight=0.5, random_state=4)
    params = est.get_params()
    assert params["fairness_weight"] == 0.5 and params["fairness_gradient"] == "sign_outside_band"
    X, y, g = _data(100)
    est.fit(X, y, sensitive_features=g)
    c = clone(est)
    assert not hasattr(c, "node_weights_") and c.get_params() == params
    c.set_params(fairness_weight=3.0, fairness_gradient="uncapped")
    assert c.fairness_weight == 3.0
    np.testing.assert_array_equal(
        clone(est).fit(X, y, sensitive_features=g).predict_proba(X), est.predict_proba(X))


def test_multiclass_strings_and_many_groups_midstream():
    X, y, g = _data(400, n_classes=3, groups=("a", "b", "c", "d"))
    labels = np.array(["low", "mid", "high"], dtype=object)[y]
    est = AranyaniClassifier(fairness_weight=1.0, random_state=0)
    first = np.isin(g, ["a", "b"])
    idx_first, idx_rest = np.where(first)[0][:100], np.where(~first)[0]
    est.partial_fit(X[idx_first], labels[idx_first], sensitive_features=g[idx_first],
                    classes=["low", "mid", "high"])
    counts_before = est.group_counts_.copy()
    sums_before = est.node_sums_.copy()
    assert est.group_encoder_.groups_ == list(dict.fromkeys(g[idx_first]))
    pred = est.partial_fit_predict(X[idx_rest], labels[idx_rest], sensitive_features=g[idx_rest])
    assert set(pred) <= {"low", "mid", "high"}
    assert est.group_counts_.shape == (4,) and est.node_sums_.shape[0] == 4
    # the groups of the first chunk kept their statistics and went on accumulating
    np.testing.assert_array_equal(est.group_counts_[:2], counts_before)
    np.testing.assert_array_equal(est.node_sums_[:2], sums_before)
    assert est.group_counts_.sum() == 100 + len(idx_rest)
    proba = est.predict_proba(X)
    assert proba.shape == (400, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(est.predict(X)) <= {"low", "mid", "high"}
    assert est.node_parity_gaps().shape == (3, 15)


def test_intersectional_groups_and_dataframe_inputs():
    X, y, g = _data(200)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(5)])
    sf = pd.DataFrame({"sex": g, "age": np.where(X[:, 1] > 0, "old", "young")})
    est = AranyaniClassifier(fairness_weight=1.0, random_state=0).fit(frame, y,
                                                                        sensitive_features=sf)
    assert len(est.group_encoder_.groups_) == 4
    assert list(est.feature_names_in_) == list(frame.columns)
    assert est.predict(frame).shape == (200,)


def test_fairness_weight_reduces_node_parity_gap():
    X, y, g = _data(2000, seed=3)
    X = np.column_stack([X, 2.0 * (g == "f")])  # the protected attribute among the inputs
    gaps = [np.abs(AranyaniClassifier(fairness_weight=lam, random_state=0)
                   .fit(X, y, sensitive_features=g).node_parity_gaps()).mean()
            for lam in (0.0, 10.0)]
    assert gaps[1] < 0.5 * gaps[0]


BAD_CHUNKS = [
    ("nan", lambda X, y, g: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y, g),
     ValueError, "NaN"),
    ("inf", lambda X, y, g: (X * np.inf, y, g), ValueError, "infinity"),
    ("n_features", lambda X, y, g: (X[:, :3], y, g), ValueError, "features"),
    ("unseen label", lambda X, y, g: (X, np.full(len(y), 7), g), ValueError, "not among classes_"),
    ("y length", lambda X, y, g: (X, y[:-1], g), ValueError, "entries"),
    ("groups length", lambda X, y, g: (X, y, g[:-1]), ValueError, "sensitive_features"),
    ("missing group", lambda X, y, g: (X, y, np.where(np.arange(len(g)) == 2, None, g)),
     ValueError, "missing"),
    ("no groups", lambda X, y, g: (X, y, None), ValueError, "sensitive_features is required"),
    ("string X", lambda X, y, g: (np.full(X.shape, "a", dtype=object), y, g), ValueError,
     "X must be numeric"),
    ("3-D X", lambda X, y, g: (X[:, :, None], y, g), ValueError, "dim 3"),
]


@pytest.mark.parametrize("name,make,exc,match", BAD_CHUNKS, ids=[b[0] for b in BAD_CHUNKS])
@pytest.mark.parametrize("cls", [AranyaniClassifier, OnlineFairLogisticClassifier])
def test_bad_chunk_raises_and_leaves_state_unchanged(cls, name, make, exc, match):
    X, y, g = _data(120)
    est = cls(fairness_weight=1.0).fit(X[:60], y[:60], sensitive_features=g[:60])
    before = _state(est)
    Xb, yb, gb = make(X[60:], y[60:], g[60:])
    with pytest.raises(exc, match=match):
        est.partial_fit(Xb, yb, sensitive_features=gb)
    assert _state(est) == before


@pytest.mark.parametrize("param,value,exc", [
    ("fairness_weight", -1.0, ValueError), ("huber_delta", 0.0, ValueError),
    ("n_trees", 0, ValueError), ("depth", 2.5, TypeError), ("learning_rate", "big", TypeError),
    ("beta1", 1.0, ValueError), ("fairness_gradient", "linear", ValueError),
    ("fairness_memory", "all", ValueError), ("reservoir_size", 0, ValueError),
    ("statistics_decay", 1.5, ValueError), ("statistics_decay", 0.0, ValueError),
    ("fairness_target", "leaves", ValueError), ("random_state", "seed", ValueError),
])
def test_bad_params(param, value, exc):
    X, y, g = _data(50)
    with pytest.raises(exc, match=param):
        AranyaniClassifier(**{param: value}).fit(X, y, sensitive_features=g)
    est = AranyaniClassifier(random_state=0).fit(X, y, sensitive_features=g)
    if param != "random_state":  # the seed only matters at the first call
        before = _state(est)
        est.set_params(**{param: value})
        with pytest.raises(exc, match=param):
            est.partial_fit(X, y, sensitive_features=g)
        est.set_params(**{param: AranyaniClassifier().get_params()[param]})
        assert _state(est) == before


def test_unfitted_single_class_and_empty_chunks():
    X, y, g = _data(40)
    est = AranyaniClassifier(random_state=0)
    with pytest.raises(NotFittedError):
        est.predict(X)
    with pytest.raises(ValueError, match="one class"):
        est.partial_fit(X, np.zeros(40), sensitive_features=g)
    with pytest.raises(ValueError):
        est.partial_fit(X[:0], y[:0], sensitive_features=g[:0])
    est.partial_fit(X[:10], np.zeros(10), sensitive_features=g[:10], classes=[0, 1])
    before = _state(est)
    assert est.partial_fit_predict(X[:0], y[:0], sensitive_features=g[:0]).shape == (0,)
    assert _state(est) == before


def test_output_target_needs_binary_labels_and_aggregate_memory():
    X, y, g = _data(60, n_classes=3)
    with pytest.raises(ValueError, match="binary"):
        AranyaniClassifier(fairness_target="output").fit(X, y, sensitive_features=g)
    with pytest.raises(ValueError, match="aggregate"):
        AranyaniClassifier(fairness_target="output", fairness_memory="reservoir").fit(
            X, y > 0, sensitive_features=g)
    est = AranyaniClassifier(fairness_target="output", fairness_weight=1.0).fit(
        X, y > 0, sensitive_features=g)
    assert est.node_gradient_means_.shape == (2, 1, 1, est.node_weights_.size
                                              + est.leaf_logits_.size)
    with pytest.raises(ValueError, match="aggregate node statistics"):
        est.node_parity_gaps()


def test_output_target_reduces_prediction_gap():
    X, y, g = _data(3000, seed=4)
    X = np.column_stack([X, 2.0 * (g == "f")])
    gap = []
    for lam in (0.0, 100.0):
        est = AranyaniClassifier(fairness_weight=lam, fairness_target="output", random_state=0)
        est.fit(X, y, sensitive_features=g)
        p = est.predict_proba(X)[:, 1]
        gap.append(abs(p[g == "f"].mean() - p[g == "m"].mean()))
    assert gap[1] < 0.5 * gap[0]


def test_single_group_means_no_fairness_gradient():
    X, y, _ = _data(200)
    fair = AranyaniClassifier(fairness_weight=100.0, wait_for_groups="never",
                              random_state=0).fit(X, y)
    plain = AranyaniClassifier(random_state=0).fit(X, y)
    # the default waits for a second group: with one group and lambda > 0 nothing is learned
    idle = AranyaniClassifier(fairness_weight=100.0, random_state=0).fit(X, y)
    assert idle.n_samples_seen_ == 200 and idle.adam_step_[0] == 0
    # equal up to rounding: lambda = 0 runs a fused (reordered) Adam pass in the kernel
    np.testing.assert_allclose(fair.predict_proba(X), plain.predict_proba(X), rtol=0, atol=1e-12)


def test_metadata_routing_in_pipeline():
    X, y, g = _data(100)
    with sklearn.config_context(enable_metadata_routing=True):
        est = AranyaniClassifier(fairness_weight=1.0, random_state=0).set_fit_request(
            sensitive_features=True)
        pipe = make_pipeline(StandardScaler(), est).fit(X, y, sensitive_features=g)
        assert pipe.predict(X).shape == (100,)
        assert len(pipe[-1].group_encoder_.groups_) == 2


def test_logistic_baseline_learns_and_is_binary():
    X, y, g = _data(2000, seed=1)
    plain = OnlineFairLogisticClassifier(learning_rate=0.01)
    p = plain.partial_fit_predict(X, y, sensitive_features=g)
    assert (p == y).mean() > 0.8
    fair = OnlineFairLogisticClassifier(learning_rate=0.01, fairness_weight=50.0,
                                        fairness_gradient="uncapped")
    q = fair.partial_fit_predict(X, y, sensitive_features=g)
    dp = lambda pred: abs(pred[g == "f"].mean() - pred[g == "m"].mean())  # noqa: E731
    assert dp(q) < dp(p)
    X3, y3, g3 = _data(50, n_classes=3)
    with pytest.raises(ValueError, match="binary"):
        OnlineFairLogisticClassifier().fit(X3, y3, sensitive_features=g3)


def test_river_adapter():
    pytest.importorskip("river")
    X, y, g = _data(300)
    for model in ("hoeffding_tree", "hoeffding_adaptive_tree"):
        est = RiverClassifier(model=model)
        pred = est.partial_fit_predict(X, y, sensitive_features=g)
        assert pred.shape == (300,) and set(pred) <= {0, 1}
        resumed = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(resumed.predict_proba(X), est.predict_proba(X))
        np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0)
    # the adapter's test-then-train matches river's own loop
    from river import tree

    ref = tree.HoeffdingTreeClassifier()
    ref_pred = []
    for row, label in zip(X, y):
        x = {f"x{j}": v for j, v in enumerate(row.tolist())}
        p = ref.predict_one(x)
        ref_pred.append(0 if p is None else p)
        ref.learn_one(x, int(label))
    np.testing.assert_array_equal(
        RiverClassifier().partial_fit_predict(X, y, sensitive_features=g), ref_pred)
    with pytest.raises(ValueError, match="model"):
        RiverClassifier(model="svm").fit(X, y)


def test_node_outputs_are_the_forward_pass_of_the_kernel():
    """``node_outputs`` (the kernel's forward pass) gives the numbers the experiments computed
    before with numpy, ``sigmoid(W[:, :, :-1] . x + W[:, :, -1])`` per node, to rounding."""
    from fairlearn_online.forest import AranyaniClassifier

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    g = rng.choice(["a", "b"], 400)
    est = AranyaniClassifier(fairness_weight=1.0, random_state=0).fit(X, y, sensitive_features=g)
    W = est.node_weights_
    z = np.einsum("nj,tkj->ntk", X, W[:, :, :-1]) + W[:, :, -1]
    s = est.node_outputs(X)
    assert s.shape == (400,) + W.shape[:2]
    np.testing.assert_allclose(s, 1.0 / (1.0 + np.exp(-z)), rtol=1e-13, atol=1e-300)
    with pytest.raises(ValueError):
        est.node_outputs(X[:, :3])
