"""learn_one / predict_one / predict_proba_one give the model and predictions of the chunk API.

Every streaming estimator, on random streams with a group first seen mid-stream: ``learn_one``
over the rows leaves bit-for-bit the state of ``partial_fit`` over the same rows, and
``predict_one`` / ``predict_proba_one`` return exactly ``predict`` / ``predict_proba`` of the
same model; a rejected event changes nothing.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from fairlearn_online import (AranyaniClassifier, DCovRegularizedClassifier,
                              DCovRegularizedRegressor, GroupIndicatorRidgeRegressor,
                              GroupwiseRegretRegressor, OnlineFairLogisticClassifier)
from fairlearn_online.baselines import MajorityClassClassifier

ESTIMATORS = {
    "aranyani": AranyaniClassifier(n_trees=2, depth=3, fairness_weight=5.0, random_state=0),
    "aranyani-3class": AranyaniClassifier(n_trees=2, depth=2, fairness_weight=1.0,
                                          random_state=1),
    "aranyani-reservoir": AranyaniClassifier(n_trees=2, depth=2, fairness_weight=2.0,
                                             fairness_memory="reservoir", reservoir_size=7,
                                             random_state=2),
    "aranyani-output": AranyaniClassifier(n_trees=2, depth=2, fairness_weight=3.0,
                                          fairness_target="output", random_state=3),
    "fair-logistic": OnlineFairLogisticClassifier(fairness_weight=2.0, learning_rate=0.05),
    "majority": MajorityClassClassifier(),
    "regret": GroupwiseRegretRegressor(grouping="both"),
    "regret-pairs": GroupwiseRegretRegressor(),
    "indicator-ridge": GroupIndicatorRidgeRegressor(),
    "dcov-classifier": DCovRegularizedClassifier(batch_size=8, learning_rate=0.05,
                                                 random_state=0),
    "dcov-regressor": DCovRegularizedRegressor(batch_size=8, learning_rate=0.05,
                                               hidden_layer_sizes=(3,), random_state=0),
}
CLASSIFIERS = {k for k, v in ESTIMATORS.items() if hasattr(v, "predict_proba")}
BUFFERED = {"dcov-classifier", "dcov-regressor"}


def _stream(name, seed, n=96, d=4, n_attributes=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if n_attributes == 1:
        groups = rng.choice(["a", "b"], size=n).astype(object)
        groups[n // 2 + 3] = "c"  # a group first seen mid-stream
        sf = groups
    else:
        sf = pd.DataFrame({"sex": rng.choice(["F", "M"], size=n),
                           "race": rng.choice(["w", "b"], size=n)})
        sf.loc[n // 2 + 3, "race"] = "o"
    if name in CLASSIFIERS:
        n_classes = 3 if name == "aranyani-3class" else 2
        y = rng.integers(0, n_classes, size=n)
    else:
        y = X @ rng.normal(size=d) + rng.normal(scale=0.1, size=n)
    return X, y, sf


def _event_sf(sf, i, *, as_dict):
    if isinstance(sf, pd.DataFrame):
        row = sf.iloc[i]
        if as_dict:  # reordered keys: matched by name
            return {c: row[c] for c in reversed(sf.columns)}
        return tuple(row[c] for c in sf.columns)
    return sf[i]


def _chunk(sf, sl):
    return sf.iloc[sl].reset_index(drop=True) if isinstance(sf, pd.DataFrame) else sf[sl]


def assert_same_state(a, b, path="est"):
    skip = {"_event_cache_", "_event_fast_", "last_hedge_loss_", "_event_pending_"}
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype, path
        if a.dtype.kind == "f":
            assert np.array_equal(a.view(np.int64) if a.dtype == np.float64 else a,
                                  b.view(np.int64) if b.dtype == np.float64 else b), path
        else:
            assert np.array_equal(a, b), path
    elif isinstance(a, dict):
        keys = set(a) - skip
        assert keys == set(b) - skip, path
        for k in keys:
            assert_same_state(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same_state(u, v, f"{path}[{i}]")
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, path
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), path
        assert_same_state(vars(a), vars(b), path)
    elif isinstance(a, float):
        assert np.float64(a).view(np.int64) == np.float64(b).view(np.int64), path
    else:
        assert a == b, path


def _learn_stream(est, X, y, sf, start, *, as_dict, columns=None):
    for i in range(start, len(y)):
        x = dict(zip(columns, X[i])) if as_dict else X[i]
        est.learn_one(x, y[i], sensitive_features=_event_sf(sf, i, as_dict=as_dict))


@pytest.mark.parametrize("n_attributes", [1, 2])
@pytest.mark.parametrize("as_dict", [False, True])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_learn_one_is_partial_fit(name, as_dict, n_attributes):
    X, y, sf = _stream(name, seed=len(name) + 10 * n_attributes, n_attributes=n_attributes)
    columns = [f"f{j}" for j in range(X.shape[1])]
    Xc = pd.DataFrame(X, columns=columns) if as_dict else X
    kw = {"classes": np.unique(y)} if name in CLASSIFIERS else {}
    start = 16  # a first chunk fixes features, classes and the first groups
    est = clone(ESTIMATORS[name]).partial_fit(Xc[:start], y[:start],
                                              sensitive_features=_chunk(sf, slice(0, start)), **kw)
    ref = pickle.loads(pickle.dumps(est))
    _learn_stream(est, X, y, sf, start, as_dict=as_dict, columns=columns)
    rest = slice(start, None)
    if name in BUFFERED:  # one optimizer step per batch_size events
        b = est.batch_size
        for s in range(start, len(y), b):
            ref.partial_fit(Xc[s:s + b], y[s:s + b], sensitive_features=_chunk(sf, slice(s, s + b)))
        assert len(est._event_pending_) == (len(y) - start) % b
    else:
        ref.partial_fit(Xc[rest], y[rest], sensitive_features=_chunk(sf, rest))
    assert_same_state(vars(est), vars(ref))
    # predictions of the same model, one event at a time and as a chunk
    predict_kw = ({"sensitive_features": _chunk(sf, rest)}
                  if ref._event_predict_uses_groups else {})
    expected = ref.predict(Xc[rest], **predict_kw)
    got = [est.predict_one(dict(zip(columns, X[i])) if as_dict else X[i],
                           sensitive_features=_event_sf(sf, i, as_dict=as_dict))
           for i in range(start, len(y))]
    assert np.array_equal(np.asarray(got), expected)
    if name in CLASSIFIERS:
        proba = ref.predict_proba(Xc[rest])
        for row, i in zip(proba, range(start, len(y))):
            one = est.predict_proba_one(dict(zip(columns, X[i])) if as_dict else X[i])
            assert list(one) == ref.classes_.tolist()
            assert np.array_equal(np.array(list(one.values())), row)


@pytest.mark.parametrize("as_dict", [False, True])
@pytest.mark.parametrize("name", sorted(set(ESTIMATORS) - BUFFERED))
def test_predict_one_then_learn_one_is_partial_fit_predict(name, as_dict):
    """river's prequential loop (predict each event, then learn it): the predictions and the
    model of ``partial_fit_predict`` on the same rows (the forest learns an event from the
    forward pass its prediction left, ``forest/_kernels.py``)."""
    X, y, sf = _stream(name, seed=7)
    columns = [f"f{j}" for j in range(X.shape[1])]
    Xc = pd.DataFrame(X, columns=columns) if as_dict else X
    kw = {"classes": np.unique(y)} if name in CLASSIFIERS else {}
    est = clone(ESTIMATORS[name]).partial_fit(Xc[:16], y[:16], sensitive_features=sf[:16], **kw)
    ref = pickle.loads(pickle.dumps(est))
    uses_groups = est._event_predict_uses_groups
    got = []
    for i in range(16, len(y)):
        x = dict(zip(columns, X[i])) if as_dict else X[i]
        if i % 7 == 3:  # a prediction of another row in between: nothing to reuse
            est.predict_one(X[i - 1], sensitive_features=sf[i - 1])
        if i % 11 == 5:  # the same row predicted twice
            est.predict_one(x, sensitive_features=sf[i])
        got.append(est.predict_one(x, sensitive_features=sf[i]))
        est.learn_one(x, y[i], sensitive_features=sf[i])
    expected = ref.partial_fit_predict(Xc[16:], y[16:], sensitive_features=sf[16:])
    assert_same_state(vars(est), vars(ref))
    assert np.array_equal(np.asarray(got), expected)
    if uses_groups:
        assert est.predict_one(X[0], sensitive_features=sf[0]) == ref.predict(
            X[:1], sensitive_features=sf[:1])[0]


@pytest.mark.parametrize("name", sorted(set(ESTIMATORS) - BUFFERED))
def test_single_row_partial_fit_is_the_chunk(name):
    X, y, sf = _stream(name, seed=3)
    kw = {"classes": np.unique(y)} if name in CLASSIFIERS else {}
    est = clone(ESTIMATORS[name]).partial_fit(X[:10], y[:10], sensitive_features=sf[:10], **kw)
    ref = pickle.loads(pickle.dumps(est))
    preds = [est.partial_fit_predict(X[i:i + 1], y[i:i + 1], sensitive_features=sf[i:i + 1])[0]
             for i in range(10, 60)]
    for i in range(60, len(y)):
        est.partial_fit(X[i:i + 1], y[i:i + 1], sensitive_features=sf[i:i + 1])
    expected = ref.partial_fit_predict(X[10:60], y[10:60], sensitive_features=sf[10:60])
    ref.partial_fit(X[60:], y[60:], sensitive_features=sf[60:])
    assert np.array_equal(np.asarray(preds), expected)
    assert_same_state(vars(est), vars(ref))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_learn_one_from_the_first_event(name):
    X, y, sf = _stream(name, seed=5)
    kw = {"classes": np.unique(y)} if name in CLASSIFIERS else {}
    columns = [f"f{j}" for j in range(X.shape[1])]
    est = clone(ESTIMATORS[name])
    for i in range(len(y)):
        est.learn_one(dict(zip(columns, X[i])), y[i], sensitive_features=sf[i],
                      **(kw if i == 0 else {}))
    ref = clone(ESTIMATORS[name])
    Xc = pd.DataFrame(X, columns=columns)
    if name in BUFFERED:
        b = ref.batch_size
        for s in range(0, len(y) - len(y) % b, b):
            ref.partial_fit(Xc[s:s + b], y[s:s + b], sensitive_features=sf[s:s + b], **kw)
    else:
        ref.partial_fit(Xc[:1], y[:1], sensitive_features=sf[:1], **kw)
        ref.partial_fit(Xc[1:], y[1:], sensitive_features=sf[1:])
    assert_same_state(vars(est), vars(ref))
    assert list(est.feature_names_in_) == columns


def _fitted(name):
    X, y, sf = _stream(name, seed=7)
    columns = [f"f{j}" for j in range(X.shape[1])]
    kw = {"classes": np.unique(y)} if name in CLASSIFIERS else {}
    est = clone(ESTIMATORS[name]).partial_fit(pd.DataFrame(X[:40], columns=columns), y[:40],
                                              sensitive_features=sf[:40], **kw)
    x = dict(zip(columns, X[41]))
    return est, x, y[41], sf[41]


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("change, match", [
    (lambda x: {k: v for k, v in list(x.items())[1:]}, "missing"),
    (lambda x: {**x, "extra": 1.0}, "unexpected"),
    (lambda x: {"g" + k[1:] if k == "f0" else k: v for k, v in x.items()}, "missing"),
    (lambda x: {**x, "f1": np.nan}, "NaN|infinity"),
    (lambda x: {**x, "f1": np.inf}, "NaN|infinity"),
    (lambda x: {**x, "f1": "abc"}, "numeric"),
    (lambda x: {**x, "f1": 10 ** 400}, "numeric"),
    (lambda x: {**x, "f1": None}, "NaN"),
    (lambda x: {**x, "f1": 1 + 2j}, "[Cc]omplex"),
    (lambda x: np.ones(7), "features"),
    (lambda x: np.ones((2, 4)), "1-D"),
])
def test_bad_event_changes_nothing(name, change, match):
    est, x, y, sf = _fitted(name)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match=match):
        est.learn_one(change(x), y, sensitive_features=sf)
    assert_same_state(vars(est), vars(pickle.loads(before)))
    if match != "unexpected" or name not in BUFFERED:
        with pytest.raises(ValueError, match=match):
            est.predict_one(change(x), sensitive_features=sf)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_bad_label_or_group_changes_nothing(name):
    est, x, y, sf = _fitted(name)
    before = pickle.dumps(est)
    bad_y = 7 if name in CLASSIFIERS else np.nan
    with pytest.raises(ValueError, match="y "):
        est.learn_one(x, bad_y, sensitive_features=sf)
    if name != "majority":  # the majority baseline ignores groups
        for bad in (None, np.nan):
            with pytest.raises(ValueError, match="sensitive_features"):
                est.learn_one(x, y, sensitive_features=bad)
    with pytest.raises(TypeError, match="sensitive_features"):
        est.learn_one(x, y, sensitive_features=np.array(["a", "b"]))
    assert_same_state(vars(est), vars(pickle.loads(before)))


def test_classifier_needs_its_classes_on_the_first_event():
    est = AranyaniClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes="):
        est.learn_one({"a": 1.0}, 1, sensitive_features="f")
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(ValueError, match="without feature names"):
        AranyaniClassifier().fit(np.ones((4, 1)), [0, 1, 0, 1]).learn_one({"a": 1.0}, 1)


def test_parameter_change_takes_the_validated_route():
    X, y, sf = _stream("aranyani", seed=11)
    est = AranyaniClassifier(n_trees=2, depth=2, random_state=0).partial_fit(
        X[:20], y[:20], sensitive_features=sf[:20])
    ref = pickle.loads(pickle.dumps(est))
    est.set_params(learning_rate=0.05)
    ref.set_params(learning_rate=0.05)
    for i in range(20, 40):
        est.learn_one(X[i], y[i], sensitive_features=sf[i])
    ref.partial_fit(X[20:40], y[20:40], sensitive_features=sf[20:40])
    assert_same_state(vars(est), vars(ref))
    est.set_params(learning_rate=-1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        est.learn_one(X[41], y[41], sensitive_features=sf[41])


def test_dcov_failed_first_batch_drops_the_last_event():
    est = DCovRegularizedClassifier(batch_size=3)
    est.learn_one([1.0, 2.0], 0, sensitive_features="a")
    est.learn_one([2.0, 2.0], 0, sensitive_features="b")
    with pytest.raises(ValueError, match="only one class"):
        est.learn_one([3.0, 2.0], 0, sensitive_features="a")
    assert len(est._event_pending_) == 2 and not hasattr(est, "n_features_in_")
    est.learn_one([3.0, 2.0], 1, sensitive_features="a")
    assert est.n_samples_seen_ == 3 and est._event_pending_ == []


@pytest.mark.parametrize("name", ["regret", "regret-pairs", "indicator-ridge"])
def test_single_row_predict_with_groups_is_the_chunk(name):
    X, y, sf = _stream(name, seed=13)
    est = clone(ESTIMATORS[name]).partial_fit(X[:60], y[:60], sensitive_features=sf[:60])
    rows = [est.predict(X[i:i + 1], sensitive_features=sf[i:i + 1])[0] for i in range(60, 96)]
    assert np.array_equal(np.asarray(rows), est.predict(X[60:], sensitive_features=sf[60:]))


def _no_chunk_checks(monkeypatch, cls):
    def fail(*args, **kwargs):
        raise AssertionError("the chunk route's checks ran")
    monkeypatch.setattr(cls, "_validate_partial_fit", fail)


@pytest.mark.parametrize("name", sorted(BUFFERED))
def test_dcov_single_row_partial_fit_is_the_chunk(name, monkeypatch):
    """A one-row partial_fit of a fitted dCov model takes the per-event route (no chunk
    checks) and learns the one-row batch of the chunk route, bit for bit."""
    X, y, sf = _stream(name, seed=3)
    est = clone(ESTIMATORS[name]).partial_fit(X[:16], y[:16], sensitive_features=sf[:16])
    ref = pickle.loads(pickle.dumps(est))
    with monkeypatch.context() as m:
        _no_chunk_checks(m, type(est))
        preds = [est.partial_fit_predict(X[i:i + 1], y[i:i + 1], sensitive_features=sf[i:i + 1])
                 for i in range(16, 40)]
        one = [est.predict(X[i:i + 1]) for i in range(40, 50)]
    expected = [ref.partial_fit_predict(X[i:i + 1].tolist(), y[i:i + 1].tolist(),  # lists:
                                        sensitive_features=list(sf[i:i + 1]))  # chunk route
                for i in range(16, 40)]
    assert np.array_equal(np.concatenate(preds), np.concatenate(expected))
    assert_same_state(vars(est), vars(ref))
    assert np.array_equal(np.concatenate(one), ref.predict(X[40:50]))


@pytest.mark.parametrize("failure", [KeyboardInterrupt, MemoryError])
def test_dcov_failure_inside_a_one_row_step_restores_the_state(failure, monkeypatch):
    X, y, sf = _stream("dcov-regressor", seed=4)
    est = clone(ESTIMATORS["dcov-regressor"]).partial_fit(X[:16], y[:16],
                                                           sensitive_features=sf[:16])
    before = pickle.loads(pickle.dumps(est))
    step = type(est)._step

    def step_then_fail(self, grads):
        step(self, grads)  # parameters, moments and step counter changed in place
        raise failure("simulated")

    monkeypatch.setattr(type(est), "_step", step_then_fail)
    with pytest.raises(failure, match="simulated"):
        est.partial_fit(X[16:17], y[16:17], sensitive_features=sf[16:17])
    monkeypatch.undo()
    vars(est).pop("_warned_small_batch")  # the one-row batch's warning was given: not state
    assert_same_state(vars(est), vars(before))


@pytest.mark.parametrize("name", sorted(BUFFERED))
def test_dcov_buffered_events_skip_the_chunk_checks(name, monkeypatch):
    """Ordinary events are checked once on arrival: before the first batch only the first one
    takes the full check; a fitted model's batch is learned from the buffer, as partial_fit on
    its rows, without building or checking a chunk again (a pickle mid-batch carries it)."""
    X, y, sf = _stream(name, seed=6, n=40)
    columns = [f"f{j}" for j in range(X.shape[1])]
    rows = [dict(zip(columns, X[i].tolist())) for i in range(len(y))]
    labels = [v.item() for v in y]
    est, ref = clone(ESTIMATORS[name]), clone(ESTIMATORS[name])
    checks = []
    check = type(est)._event_check_one
    monkeypatch.setattr(type(est), "_event_check_one",
                        lambda self, *a: (checks.append(1), check(self, *a)))
    for i in range(8):
        est.learn_one(rows[i], labels[i], sensitive_features=sf[i])
    assert len(checks) == 1
    with monkeypatch.context() as m:
        _no_chunk_checks(m, type(est))
        for i in range(8, 20):
            est.learn_one(rows[i], labels[i], sensitive_features=sf[i])
        copy = pickle.loads(pickle.dumps(est))
        assert len(copy._event_pending_) == 4
        for i in range(20, 32):
            est.learn_one(rows[i], labels[i], sensitive_features=sf[i])
    assert len(checks) == 1
    for i in range(20, 32):  # an unpickled model checks its first event again
        copy.learn_one(rows[i], labels[i], sensitive_features=sf[i])
    Xc = pd.DataFrame(X, columns=columns)
    for s in range(0, 32, 8):
        ref.partial_fit(Xc[s:s + 8], y[s:s + 8], sensitive_features=sf[s:s + 8])
    assert_same_state(vars(est), vars(ref))
    assert_same_state(vars(copy), vars(ref))


def test_dcov_buffered_exposure_and_checked_events_are_partial_fit():
    """Events that take the full check on arrival (an exposure, a numpy label) share the
    buffer with ordinary ones; the batch is partial_fit on the same rows."""
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(24, 3)), rng.poisson(1.0, size=24).astype(float)
    sf = rng.choice(["a", "b"], size=24)
    exposure = rng.uniform(0.5, 2.0, size=24)
    make = lambda: DCovRegularizedRegressor(family="poisson", batch_size=8,  # noqa: E731
                                            learning_rate=0.05, random_state=0)
    est, ref = make().partial_fit(X[:8], y[:8], sensitive_features=sf[:8]), make()
    ref.partial_fit(X[:8], y[:8], sensitive_features=sf[:8])
    for i in range(8, 24):
        kw = {"exposure": exposure[i]} if i % 3 == 0 else {}
        est.learn_one(X[i], y[i] if i % 2 else float(y[i]), sensitive_features=sf[i], **kw)
    e = np.where(np.arange(24) % 3 == 0, exposure, 1.0)
    for s in (8, 16):
        ref.partial_fit(X[s:s + 8], y[s:s + 8], sensitive_features=sf[s:s + 8],
                        exposure=e[s:s + 8])
    assert_same_state(vars(est), vars(ref))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_prebuilt_route_follows_assignments(name):
    """The prebuilt route is dropped by any assignment it depends on: a parameter set
    directly (not through ``set_params``) is checked before the next event, and a learned
    attribute replaced by an equal copy gives the model of the chunk route."""
    est, x, y, sf = _fitted(name)
    if name in BUFFERED:
        pytest.skip("learn_one buffers a batch")
    est.learn_one(x, y, sensitive_features=sf)  # builds the route
    assert est.__dict__.get("_event_fast_") is not None
    ref = pickle.loads(pickle.dumps(est))
    assert "_event_fast_" not in vars(ref)  # never pickled
    name_ = next(n for n in sorted(vars(est)) if n.endswith("_") and not n.startswith("_")
                 and isinstance(vars(est)[n], np.ndarray))
    setattr(est, name_, vars(est)[name_].copy())
    if name.startswith("aranyani"):  # its route holds the state's arrays
        assert "_event_fast_" not in vars(est)
    est.learn_one(x, y, sensitive_features=sf)
    ref.partial_fit(pd.DataFrame([x]), np.array([y]), sensitive_features=_chunk_of(sf))
    assert_same_state(vars(est), vars(ref))
    assert est.predict_one(x, sensitive_features=sf) == ref.predict_one(
        x, sensitive_features=sf)
    param = next((p for p in ("learning_rate", "eta", "alpha", "l2", "ridge")
                  if p in est.get_params()), None)
    if param is not None:
        before = pickle.dumps(est)
        setattr(est, param, -1.0)  # an assignment, not set_params: still checked
        with pytest.raises(ValueError, match=param):
            est.learn_one(x, y, sensitive_features=sf)
        setattr(est, param, pickle.loads(before).get_params()[param])


def _chunk_of(sf):
    if isinstance(sf, dict):
        return pd.DataFrame([sf])
    if isinstance(sf, tuple):
        arr = np.empty((1, len(sf)), dtype=object)
        arr[0, :] = sf
        return arr
    return np.array([sf], dtype=object)


def test_compiled_entry_falls_back_to_the_dispatcher():
    from fairlearn_online._core.jit import compiled_entry
    from fairlearn_online.forest import _kernels as K

    est = ESTIMATORS["aranyani"].__class__(n_trees=2, depth=2, random_state=0).fit(
        np.ones((4, 3)), [0, 1, 0, 1])
    packed = est._packed()
    X, out = np.ones((1, 3)), np.empty((1, 2))
    args = (X, packed.opt, packed.pdims, packed.work, out)
    entry = compiled_entry(K.forest_predict, args)
    assert entry is not K.forest_predict
    assert entry(*args) == K.forest_predict(*args)
    # a step function has no entry Python may call; an object without numba's internals
    assert compiled_entry(K._all_finite, (X,)) is K._all_finite
    fake = object()
    assert compiled_entry(fake, (X,)) is fake


@pytest.mark.parametrize("name", ["regret", "regret-pairs", "indicator-ridge"])
def test_single_row_predict_with_groups_takes_the_event_route(name, monkeypatch):
    """A fitted model's one-row predict runs the prebuilt route's prediction (no chunk
    validation, no chunk kernel call), with the chunk's values."""
    X, y, sf = _stream(name, seed=14)
    est = clone(ESTIMATORS[name]).partial_fit(X[:60], y[:60], sensitive_features=sf[:60])
    expected = est.predict(X[60:], sensitive_features=sf[60:])

    def fail(*args, **kwargs):
        raise AssertionError("the chunk route ran")

    monkeypatch.setattr(type(est), "_predict_member", fail)
    rows = [est.predict(X[i:i + 1], sensitive_features=sf[i:i + 1])[0] for i in range(60, 96)]
    assert np.array_equal(np.asarray(rows), expected)


@pytest.mark.parametrize("params", [{}, {"family": "poisson"}, {"hidden_layer_sizes": (3,),
                                                                  "activation": "relu"}])
def test_dcov_regressor_predict_one_is_predict(params):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(40, 3))
    y = rng.poisson(1.0, size=40).astype(float)
    est = DCovRegularizedRegressor(batch_size=8, learning_rate=0.05, random_state=0,
                                   **params).partial_fit(X, y, sensitive_features=X[:, 0] > 0)
    got = [est.predict_one(X[i]) for i in range(40)]
    assert np.array_equal(np.asarray(got).view(np.int64), est.predict(X).view(np.int64))


@pytest.mark.parametrize("name", sorted(BUFFERED))
def test_dcov_read_only_state_predicts_the_learned_model(name):
    """A read-only (memory-mapped) state predicts one event; once a batch copies it on write
    and learns, predict_one gives the new model's values, not the read-only copy's."""
    X, y, sf = _stream(name, seed=15)
    est = clone(ESTIMATORS[name]).partial_fit(X[:16], y[:16], sensitive_features=sf[:16])
    for p in est.coefs_ + est.intercepts_ + est._opt_m_ + est._opt_v_:
        p.flags.writeable = False
    est.predict_one(X[20], sensitive_features=sf[20])  # the route over the read-only arrays
    ref = pickle.loads(pickle.dumps(est))
    for i in range(16, 24):
        est.learn_one(X[i], y[i], sensitive_features=sf[i])
    ref.partial_fit(X[16:24], y[16:24], sensitive_features=sf[16:24])
    got = [est.predict_one(X[i], sensitive_features=sf[i]) for i in range(24, 40)]
    assert np.array_equal(np.asarray(got), ref.predict(X[24:40]))
