"""DCovRegularizedClassifier / DCovRegularizedRegressor: gradients, fairness effect, streaming contract."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairlearn_online import DCovRegularizedClassifier, DCovRegularizedRegressor
from fairlearn_online.dcov import concatenated_distance_covariance, fairness_penalty_grad


def _data(n=600, seed=0, n_classes=2):
    rng = np.random.default_rng(seed)
    race = rng.choice(["a", "b", "c"], n, p=[.5, .3, .2])
    sex = rng.choice(["F", "M"], n)
    age = rng.integers(18, 70, n)
    X = np.column_stack([rng.normal(size=n), (race == "a") + 0.5 * rng.normal(size=n),
                         (age - 40) / 15 + rng.normal(size=n) * 0.3])
    score = X @ [1.0, 1.0, -0.5]
    if n_classes == 2:
        y = (score + 0.5 * rng.normal(size=n) > 0.3).astype(int)
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    sf = pd.DataFrame({"race": race, "sex": sex, "age": age})
    return X, y, sf


# ---------------------------------------------------------------- gradients by finite differences
def _objective(est, X, y, sf, extra):
    """loss + lambda * penalty of one batch, from the public pieces (no gradient code)."""
    F, _ = est._forward(X)
    n = len(X)
    if isinstance(est, DCovRegularizedClassifier):
        P = est._proba_from_F(F)
        if F.shape[1] == 1:
            loss = -np.mean(np.log(P[np.arange(n), y]))
            yhats = [P[:, 1]]
        else:
            loss = -np.mean(np.log(P[np.arange(n), y]))
            yhats = [P[:, k] for k in range(P.shape[1])]
    elif est.family == "gaussian":
        loss = 0.5 * np.mean((F[:, 0] - y) ** 2)
        yhats = [F[:, 0]]
    else:
        eta = F[:, 0] + (0.0 if extra is None else np.log(extra))
        loss = np.mean(np.exp(eta) - y * eta)
        yhats = [np.exp(F[:, 0])]
    pen = np.mean([fairness_penalty_grad(h, sf, est.penalty)[0] for h in yhats])
    return loss + est.fairness_weight * pen


def _analytic(est, X, y, sf, extra):
    F, cache = est._forward(X)
    dF, yj = est._loss_dF(F, y, extra)
    dP, _ = est._penalty_dF(F, yj, sf)
    gW, gb = est._backward(X, cache, dF + dP)
    return gW + gb


CASES = [
    (DCovRegularizedClassifier, {}, 2),
    (DCovRegularizedClassifier, {"hidden_layer_sizes": (4,)}, 2),
    (DCovRegularizedClassifier, {"hidden_layer_sizes": (3,), "activation": "relu"}, 2),
    (DCovRegularizedClassifier, {}, 3),
    (DCovRegularizedRegressor, {}, None),
    (DCovRegularizedRegressor, {"family": "poisson", "hidden_layer_sizes": (3,)}, None),
]


@pytest.mark.parametrize("penalty", ["dcov", "jdcov", "ccdcov"])
@pytest.mark.parametrize("cls,params,n_classes", CASES)
def test_penalty_gradient_flows_through_the_model(cls, params, n_classes, penalty):
    X, y, sf = _data(40, seed=1, n_classes=n_classes or 2)
    extra = None
    if cls is DCovRegularizedRegressor:
        rng = np.random.default_rng(2)
        if params.get("family") == "poisson":
            extra = rng.uniform(0.5, 2.0, len(y))
            y = rng.poisson(extra * np.exp(0.3 * X[:, 0])).astype(float)
        else:
            y = X @ [1.0, 0.5, 0.2] + rng.normal(size=len(y))
    est = cls(penalty=penalty, fairness_weight=50.0, alpha=0.0, random_state=0, **params)
    fit_kw = {"exposure": extra} if extra is not None else {}
    est.partial_fit(X, y, sensitive_features=sf, **fit_kw)  # initializes (and moves) the weights
    rng = np.random.default_rng(3)
    for p in est.coefs_ + est.intercepts_:
        p += rng.normal(scale=0.3, size=p.shape)
    codes = np.searchsorted(est.classes_, y) if hasattr(est, "classes_") else y
    grads = _analytic(est, X, codes, sf, extra)
    eps = 1e-6
    for p, g in zip(est.coefs_ + est.intercepts_, grads):
        for idx in list(np.ndindex(p.shape))[:4]:
            old = p[idx]
            p[idx] = old + eps
            up = _objective(est, X, codes, sf, extra)
            p[idx] = old - eps
            down = _objective(est, X, codes, sf, extra)
            p[idx] = old
            fd = (up - down) / (2 * eps)
            assert abs(fd - g[idx]) <= 1e-5 * max(1.0, abs(fd)), (idx, fd, g[idx])


# ---------------------------------------------------------------- the penalty does its job
@pytest.mark.parametrize("penalty", ["dcov", "jdcov", "ccdcov"])
def test_fairness_weight_reduces_dependence(penalty):
    X, y, sf = _data(1500, seed=4)
    sf = sf[["race", "sex"]]
    values = []
    for lam in (0.0, 200.0):
        clf = DCovRegularizedClassifier(penalty=penalty, fairness_weight=lam, n_epochs=8,
                                        learning_rate=0.05, random_state=0)
        clf.fit(X, y, sensitive_features=sf)
        values.append(concatenated_distance_covariance(clf.predict_proba(X)[:, 1], sf))
    assert values[1] < 0.5 * values[0], values


def test_regressor_learns_and_penalty_reduces_dependence():
    X, _, sf = _data(1500, seed=5)
    rng = np.random.default_rng(5)
    y = X @ [1.0, 2.0, 0.0] + 0.1 * rng.normal(size=len(X))
    plain = DCovRegularizedRegressor(fairness_weight=0.0, n_epochs=20, learning_rate=0.05).fit(
        X, y, sensitive_features=sf[["race"]])
    assert plain.score(X, y) > 0.9
    fair = DCovRegularizedRegressor(fairness_weight=100.0, n_epochs=20, learning_rate=0.05).fit(
        X, y, sensitive_features=sf[["race"]])
    d0 = concatenated_distance_covariance(plain.predict(X), sf[["race"]])
    d1 = concatenated_distance_covariance(fair.predict(X), sf[["race"]])
    assert d1 < 0.5 * d0


def test_poisson_exposure():
    rng = np.random.default_rng(6)
    n = 3000
    X = rng.normal(size=(n, 2))
    e = rng.uniform(0.2, 2.0, n)
    y = rng.poisson(e * np.exp(0.5 + 0.4 * X[:, 0]))
    reg = DCovRegularizedRegressor(family="poisson", fairness_weight=0.0, n_epochs=30,
                                   learning_rate=0.05).fit(X, y, exposure=e)
    np.testing.assert_allclose(reg.coefs_[0][:, 0], [0.4, 0.0], atol=0.08)
    np.testing.assert_allclose(reg.intercepts_[0], [0.5], atol=0.08)
    np.testing.assert_allclose(reg.predict(X[:5], exposure=e[:5]),
                               e[:5] * reg.predict(X[:5]), rtol=1e-12)


# ---------------------------------------------------------------- streaming contract
def test_pickle_mid_stream_is_bit_identical():
    X, y, sf = _data(900, seed=7)
    a = DCovRegularizedClassifier(hidden_layer_sizes=(5,), batch_size=128, random_state=3)
    a.partial_fit(X[:400], y[:400], sensitive_features=sf[:400])
    b = pickle.loads(pickle.dumps(a))
    for est in (a, b):
        est.partial_fit(X[400:], y[400:], sensitive_features=sf[400:])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = clone(a).partial_fit(X[:400], y[:400], sensitive_features=sf[:400])
    c.partial_fit(X[400:], y[400:], sensitive_features=sf[400:])
    np.testing.assert_array_equal(a.predict_proba(X), c.predict_proba(X))


def test_fit_equals_partial_fit_on_batch_aligned_chunks():
    X, y, sf = _data(768, seed=8)
    a = DCovRegularizedClassifier(batch_size=128, random_state=0).fit(X, y, sensitive_features=sf)
    b = DCovRegularizedClassifier(batch_size=128, random_state=0)
    for s in (slice(0, 256), slice(256, 768)):
        b.partial_fit(X[s], y[s], sensitive_features=sf[s])
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_shuffle_each_epoch_equals_partial_fit_on_the_same_permutations():
    X, y, sf = _data(500, seed=14)
    est = DCovRegularizedClassifier(hidden_layer_sizes=(4,), n_epochs=3, shuffle=True,
                                    batch_size=128, random_state=3)
    Xdf = pd.DataFrame(X, columns=["f0", "f1", "f2"])
    est.fit(Xdf, list(y), sensitive_features=sf)
    # the documented order: the hidden layer seeded as without shuffle, epochs from a
    # generator seeded by the same draw of random_state on a separate stream
    seed = np.random.RandomState(3).randint(np.iinfo(np.int32).max)
    order = np.random.default_rng([seed, 1])
    ref = DCovRegularizedClassifier(hidden_layer_sizes=(4,), batch_size=128, random_state=3)
    for _ in range(3):
        perm = order.permutation(500)
        ref.partial_fit(X[perm], y[perm], sensitive_features=sf.iloc[perm].reset_index(drop=True),
                        classes=[0, 1])
    np.testing.assert_allclose(est.predict_proba(Xdf), ref.predict_proba(X), rtol=0, atol=1e-12)
    assert est.feature_names_in_.tolist() == ["f0", "f1", "f2"]
    again = clone(est).fit(Xdf, y, sensitive_features=sf)
    np.testing.assert_array_equal(again.coefs_[0], est.coefs_[0])
    unshuffled = clone(est).set_params(shuffle=False).fit(X, y, sensitive_features=sf)
    assert not np.array_equal(unshuffled.coefs_[0], est.coefs_[0])


def test_shuffle_permutes_exposure_with_the_rows():
    X, _, sf = _data(400, seed=15)
    rng = np.random.default_rng(0)
    exposure = rng.uniform(0.2, 1.0, 400)
    y = rng.poisson(exposure * np.exp(0.5 * X[:, 0]))
    kw = dict(family="poisson", n_epochs=2, batch_size=400, shuffle=True, random_state=0)
    a = DCovRegularizedRegressor(**kw).fit(X, y, sensitive_features=sf, exposure=exposure)
    # one batch per epoch: the order inside a batch does not change the step (up to rounding)
    b = DCovRegularizedRegressor(**{**kw, "shuffle": False}).fit(
        X, y, sensitive_features=sf, exposure=exposure)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-9, atol=1e-12)


def test_shuffle_rejects_bad_input_with_partial_fits_message():
    X, y, sf = _data(100, seed=16)
    est = DCovRegularizedClassifier(shuffle=True, n_epochs=2)
    with pytest.raises(ValueError, match="rows"):
        est.fit(X, y, sensitive_features=sf[:99])
    with pytest.raises(ValueError, match="NaN"):
        est.fit(np.where(np.eye(100, 3) > 0, np.nan, X), y, sensitive_features=sf)
    with pytest.raises(TypeError, match="shuffle must be a bool"):
        DCovRegularizedClassifier(shuffle="yes").fit(X, y, sensitive_features=sf)


def test_partial_fit_predict_is_test_then_train():
    X, y, sf = _data(512, seed=9)
    est = DCovRegularizedClassifier(batch_size=256, random_state=0)
    est.partial_fit(X[:256], y[:256], sensitive_features=sf[:256])
    before = est.predict(X[256:])
    got = est.partial_fit_predict(X[256:], y[256:], sensitive_features=sf[256:])
    np.testing.assert_array_equal(got, before)  # one batch: all predicted before the step
    assert len(est.penalty_history_) == 2


def test_sgd_solver_and_small_batches():
    X, y, sf = _data(300, seed=10)
    est = DCovRegularizedClassifier(solver="sgd", batch_size=2, learning_rate=0.1)
    est.fit(X, y, sensitive_features=sf)  # batches of 2: no penalty (U-statistic needs 4)
    assert all(v == 0.0 for v in est.penalty_history_)
    assert est.score(X, y) > 0.6


def test_without_sensitive_features_no_penalty_and_no_mid_stream_start():
    X, y, sf = _data(300, seed=11)
    est = DCovRegularizedClassifier(fairness_weight=10.0).fit(X, y)
    assert est.sensitive_columns_ is None
    with pytest.raises(ValueError, match="cannot start mid-stream"):
        est.partial_fit(X, y, sensitive_features=sf)


def test_rejected_chunk_leaves_state_unchanged():
    X, y, sf = _data(300, seed=12)
    est = DCovRegularizedClassifier(hidden_layer_sizes=(3,), random_state=0)
    est.partial_fit(X, y, sensitive_features=sf)
    state = pickle.dumps(est)
    bad = [
        (dict(X=X[:10], y=y[:10], sensitive_features=sf.iloc[:10, :2]), "columns"),
        (dict(X=X[:10], y=y[:10], sensitive_features=None), "required"),
        (dict(X=X[:10, :2], y=y[:10], sensitive_features=sf[:10]), "features"),
        (dict(X=X[:10], y=y[:10] + 5, sensitive_features=sf[:10]), "not among classes_"),
        (dict(X=np.where(np.eye(10, 3) > 0, np.nan, X[:10]), y=y[:10],
              sensitive_features=sf[:10]), "NaN"),
        (dict(X=X[:10], y=y[:10], sensitive_features=sf[:9]), "rows"),
    ]
    for kwargs, match in bad:
        with pytest.raises(ValueError, match=match):
            est.partial_fit(**kwargs)
        assert pickle.dumps(est) == state


@pytest.mark.parametrize("params,match", [
    (dict(penalty="hsic"), "penalty"), (dict(fairness_weight=-1.0), "fairness_weight"),
    (dict(batch_size=0), "batch_size"), (dict(hidden_layer_sizes=(3, 3)), "one hidden layer"),
    (dict(solver="lbfgs"), "solver"), (dict(learning_rate=0.0), "learning_rate"),
    (dict(activation="sigmoid"), "activation"), (dict(n_epochs=0), "n_epochs"),
])
def test_bad_hyper_parameters(params, match):
    X, y, sf = _data(50)
    with pytest.raises(ValueError, match=match):
        DCovRegularizedClassifier(**params).fit(X, y, sensitive_features=sf)


def test_regressor_bad_inputs():
    X, _, sf = _data(50)
    y = np.abs(X[:, 0])
    with pytest.raises(ValueError, match="only used with family='poisson'"):
        DCovRegularizedRegressor().fit(X, y, exposure=np.ones(50))
    with pytest.raises(ValueError, match="exposure must be > 0"):
        DCovRegularizedRegressor(family="poisson").fit(X, y, exposure=np.zeros(50))
    with pytest.raises(ValueError, match=">= 0"):
        DCovRegularizedRegressor(family="poisson").fit(X, -y)
    with pytest.raises(ValueError, match="family"):
        DCovRegularizedRegressor(family="gamma").fit(X, y)


def test_metadata_routing_in_pipeline():
    X, y, sf = _data(300, seed=13)
    with sklearn.config_context(enable_metadata_routing=True):
        est = DCovRegularizedClassifier(fairness_weight=5.0, random_state=0)
        est.set_fit_request(sensitive_features=True)
        pipe = make_pipeline(StandardScaler(), est).fit(X, y, sensitive_features=sf)
        assert pipe[-1].sensitive_columns_ == ["race", "sex", "age"]
        reg = DCovRegularizedRegressor(family="poisson").set_fit_request(exposure=True)
        make_pipeline(StandardScaler(), reg).fit(X, np.abs(y), exposure=np.ones(300))


def test_unseen_category_mid_stream_and_string_labels():
    X, y, sf = _data(600, seed=14)
    labels = np.where(y == 1, "recid", "no")
    est = DCovRegularizedClassifier(fairness_weight=5.0, random_state=0)
    est.partial_fit(X[:300], labels[:300], sensitive_features=sf[:300])
    later = sf[300:].copy()
    later.loc[later.index[:40], "race"] = "new-race"  # a category never seen before
    est.partial_fit(X[300:], labels[300:], sensitive_features=later)
    assert set(est.predict(X)) <= {"no", "recid"}
    assert np.isfinite(est.penalty_history_).all()


def test_fairness_penalty_grad_edge_cases():
    yhat = np.linspace(0, 1, 10)
    value, grad = fairness_penalty_grad(yhat, ["a"] * 10, "jdcov")  # constant attribute
    assert value == 0.0 and not grad.any()
    with pytest.raises(ValueError, match="penalty must be"):
        fairness_penalty_grad(yhat, ["a", "b"] * 5, "hsic")
    # one attribute: dcov and ccdcov coincide
    sf = ["a", "b", "c", "a", "b"] * 2
    np.testing.assert_allclose(fairness_penalty_grad(yhat, sf, "dcov")[1],
                               fairness_penalty_grad(yhat, sf, "ccdcov")[1])
