"""Reliability under misuse (issue 16): one regression test per item, plus issue 14's messages.

Every test here failed on the code before the shared core (``fairlearn_online/_core/``): a
segfault or a silently ignored ``set_params``, groups read by column position, a ``'nan'``
group from a plain list, a ``TypeError`` from sorting mixed labels, a private method in an
error message.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier

import fairlearn_online
from fairlearn_online import (AranyaniClassifier, DCovRegularizedClassifier, FAHTClassifier,
                              DCovRegularizedRegressor, GroupIndicatorRidgeRegressor,
                              GroupwiseRegretRegressor, MultiwinnerSelector,
                              OnlineFairLogisticClassifier)
from fairlearn_online.baselines import MajorityClassClassifier
from fairlearn_online.metrics import FairnessReport, SelectionRateByGroup, metrics_by_group

DOCS = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "protocol.md"

STREAMING = [AranyaniClassifier, OnlineFairLogisticClassifier, DCovRegularizedClassifier,
             DCovRegularizedRegressor, GroupwiseRegretRegressor, GroupIndicatorRidgeRegressor,
             MajorityClassClassifier, FAHTClassifier]
IDS = [c.__name__ for c in STREAMING]


def _data(n=200, seed=0, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y_reg = X[:, 0] - 0.5 * X[:, 1]
    y_clf = (y_reg > 0).astype(np.int64)
    sex = rng.choice(["F", "M"], size=n)
    race = rng.choice(["w", "b"], size=n)
    return X, y_clf, y_reg, sex, race


def _target(est, y_clf, y_reg):
    return y_clf if is_classifier(est) else y_reg


def _state(est):
    """The learned state (attributes ending in ``_``, not the per-event buffers), pickled."""
    import pickle
    return {k: pickle.dumps(v) for k, v in vars(est).items()
            if k.endswith("_") and k not in ("_event_cache_", "_event_fast_")}


def _make(cls, **params):
    est = cls(**params)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    return est


# ------------------------------------------------------------------------------------------
# item 1: set_params mid-stream
# ------------------------------------------------------------------------------------------
# (estimator, first value, new value): the crashes and silent variants
FROZEN_CASES = [
    (GroupwiseRegretRegressor, "fit_intercept", False, True),  # segfault (exit 139) before
    (GroupIndicatorRidgeRegressor, "fit_intercept", True, False),  # matmul error after a change
    (AranyaniClassifier, "fairness_target", "nodes", "output"),  # NaN probabilities, then 139
    (AranyaniClassifier, "fairness_memory", "aggregate", "reservoir"),  # NaN predict_proba
    (AranyaniClassifier, "n_trees", 3, 5),  # ignored while get_params() showed 5
    (AranyaniClassifier, "depth", 4, 2),
    (AranyaniClassifier, "reservoir_size", 500, 10),
    (DCovRegularizedClassifier, "hidden_layer_sizes", (), (8,)),
    (DCovRegularizedClassifier, "solver", "adam", "sgd"),
    (DCovRegularizedRegressor, "random_state", 0, 1),  # ignored while get_params() showed 1
]


@pytest.mark.parametrize("cls,param,first,new", FROZEN_CASES,
                         ids=[f"{c[0].__name__}-{c[1]}" for c in FROZEN_CASES])
def test_frozen_parameter_change_raises_and_leaves_state_untouched(cls, param, first, new):
    X, y_clf, y_reg, sex, _ = _data()
    est = _make(cls, **{param: first})
    if param == "fairness_target":
        est.set_params(fairness_weight=10.0)
    y = _target(est, y_clf, y_reg)
    est.partial_fit(X[:100], y[:100], sensitive_features=sex[:100])
    before = _state(est)
    est.set_params(**{param: new})
    for call in (lambda: est.partial_fit(X[100:], y[100:], sensitive_features=sex[100:]),
                 lambda: est.partial_fit_predict(X[100:], y[100:], sensitive_features=sex[100:]),
                 lambda: est.predict(X[:5], sensitive_features=sex[:5])
                 if "sensitive_features" in _predict_params(est) else est.predict(X[:5])):
        with pytest.raises(ValueError, match=rf"{param} was .* call fit\(\.\.\.\).*clone\(\)"):
            call()
        assert _state(est) == before
    # setting it back makes the estimator usable again; fit starts over with the new value
    est.set_params(**{param: first})
    est.partial_fit(X[100:], y[100:], sensitive_features=sex[100:])
    est.set_params(**{param: new})
    est.fit(X, y, sensitive_features=sex)
    out = est.predict(X, sensitive_features=sex) if "sensitive_features" in _predict_params(
        est) else est.predict(X)
    assert np.all(np.isfinite(np.asarray(out, dtype=float)))


def _predict_params(est):
    import inspect
    return inspect.signature(est.predict).parameters


def _documented_mutable_params():
    """The table of docs/user_guide/protocol.md: estimator name -> set of parameter names."""
    table = {}
    for line in DOCS.read_text().splitlines():
        m = re.match(r"\| `(\w+)` \| (.*) \|$", line)
        if m:
            table[m.group(1)] = set(re.findall(r"`(\w+)`", m.group(2)))
    return table


@pytest.mark.parametrize("cls", STREAMING + [MultiwinnerSelector],
                         ids=IDS + ["MultiwinnerSelector"])
def test_safe_parameters_are_documented_and_can_change_mid_stream(cls):
    from fairlearn_online._core.validation import frozen_param_names, mutable_param_names
    table = _documented_mutable_params()
    assert cls.__name__ in table, f"{cls.__name__} missing from protocol.md's table"
    est = _make(cls)
    assert table[cls.__name__] == set(mutable_param_names(est))
    assert set(frozen_param_names(est)) | set(mutable_param_names(est)) == set(est.get_params())
    if cls is MultiwinnerSelector:
        return
    X, y_clf, y_reg, sex, _ = _data()
    y = _target(est, y_clf, y_reg)
    est.partial_fit(X[:100], y[:100], sensitive_features=sex[:100])
    changes = {"fairness_weight": 2.0, "huber_delta": 0.05, "learning_rate": 1e-3, "beta1": 0.8,
               "beta2": 0.99, "epsilon": 1e-6, "fairness_gradient": "uncapped",
               "statistics_decay": 0.99, "penalty": "dcov", "alpha": 1e-3, "batch_size": 16,
               "n_epochs": 2, "shuffle": True}
    est.set_params(**{p: changes[p] for p in mutable_param_names(est)})
    est.partial_fit(X[100:], y[100:], sensitive_features=sex[100:])
    assert est.get_params() == {**_make(cls).get_params(),
                                **{p: changes[p] for p in mutable_param_names(est)}}


def test_selector_rule_and_k_are_frozen():
    rng = np.random.default_rng(0)
    rankings = np.array([rng.permutation(6) for _ in range(30)])
    for param, new in (("rule", "sntv"), ("k", 9), ("k", 4)):
        sel = MultiwinnerSelector(k=2, rule="chamberlin_courant").fit(rankings)
        committee = sel.select()
        before = _state(sel)
        sel.set_params(**{param: new})
        # before: the old rule was used silently, k=9 of 6 items returned 6, k 2 -> 4 IndexError
        for call in (sel.select, lambda: sel.partial_fit(rankings[:5]),
                     lambda: sel.score([0, 1])):
            # (partial_fit checks the chunk against the new k first: k > m is its own error)
            with pytest.raises(ValueError, match=rf"{param} was .* call fit|k must satisfy"):
                call()
        assert _state(sel) == before
        sel.set_params(**{param: {"rule": "chamberlin_courant", "k": 2}[param]})
        np.testing.assert_array_equal(sel.select(), committee)
    sel = MultiwinnerSelector(k=2).fit(rankings).set_params(solver="greedy", time_limit=5.0)
    assert len(sel.partial_fit(rankings[:3]).select()) == 2


# ------------------------------------------------------------------------------------------
# item 3: reordered / renamed sensitive-feature columns
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", STREAMING, ids=IDS)
def test_reordered_sensitive_columns_are_aligned_by_name(cls):
    X, y_clf, y_reg, sex, race = _data()
    frame = pd.DataFrame({"race": race, "sex": sex})
    est = _make(cls)
    y = _target(est, y_clf, y_reg)
    a = clone(est).partial_fit(X[:100], y[:100], sensitive_features=frame[:100])
    a.partial_fit(X[100:], y[100:], sensitive_features=frame[100:][["sex", "race"]])
    b = clone(est).partial_fit(X[:100], y[:100], sensitive_features=frame[:100])
    b.partial_fit(X[100:], y[100:], sensitive_features=frame[100:])
    assert _state(a) == _state(b)
    if hasattr(a, "group_encoder_"):
        assert len(a.group_encoder_.groups_) == 4
    before = _state(a)
    renamed = frame[100:].rename(columns={"sex": "gender"})
    if cls is not MajorityClassClassifier:  # it ignores sensitive_features
        with pytest.raises(ValueError, match=r"columns \['race', 'gender'\].*\['race', 'sex'\]"):
            a.partial_fit(X[100:], y[100:], sensitive_features=renamed)
        assert _state(a) == before


def test_regret_and_metrics_align_reordered_columns():
    X, _, y_reg, sex, race = _data()
    frame = pd.DataFrame({"race": race, "sex": sex})
    reg = GroupwiseRegretRegressor().fit(X[:100], y_reg[:100], sensitive_features=frame[:100])
    reg.partial_fit(X[100:], y_reg[100:], sensitive_features=frame[100:][["sex", "race"]])
    same = GroupwiseRegretRegressor().fit(X[:100], y_reg[:100], sensitive_features=frame[:100])
    same.partial_fit(X[100:], y_reg[100:], sensitive_features=frame[100:])
    assert reg.group_names_ == same.group_names_
    assert sorted(reg.group_names_) == ["always_on", "race=b", "race=w", "sex=F", "sex=M"]
    y_true = (y_reg > 0).astype(int)
    y_pred = (X[:, 2] > 0).astype(int)
    metric = SelectionRateByGroup()
    metric.update(y_true[:100], y_pred[:100], frame[:100])
    metric.update(y_true[100:], y_pred[100:], frame[100:][["sex", "race"]])
    expected = metrics_by_group(y_true, y_pred, sensitive_features=frame)["selection_rate"]
    pd.testing.assert_series_equal(metric.get(), expected, check_names=False)


# ------------------------------------------------------------------------------------------
# item 4: missing labels rejected for every input type
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", [np.nan, None], ids=["nan", "None"])
@pytest.mark.parametrize("form", ["list", "object array", "Series", "DataFrame", "2-D list"])
def test_missing_group_labels_rejected_for_every_input_type(form, missing):
    X, y_clf, y_reg, sex, race = _data(20)
    labels = list(sex)
    labels[3] = missing
    sf = {"list": labels, "object array": np.array(labels, dtype=object),
          "Series": pd.Series(labels), "DataFrame": pd.DataFrame({"sex": labels}),
          "2-D list": [[v, r] for v, r in zip(labels, race)]}[form]
    for est in (AranyaniClassifier(), GroupwiseRegretRegressor(), DCovRegularizedClassifier()):
        y = _target(est, y_clf, y_reg)
        with pytest.raises(ValueError, match="sensitive_features contains missing values"):
            est.fit(X, y, sensitive_features=sf)
    with pytest.raises(ValueError, match="missing values"):
        metrics_by_group(y_clf, y_clf, sensitive_features=sf)


# ------------------------------------------------------------------------------------------
# item 7: mixed types, 1 and "1", Series of tuples
# ------------------------------------------------------------------------------------------
def test_mixed_type_labels_match_fairlearn():
    fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
    rng = np.random.default_rng(1)
    n = 300
    y_true = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    ages = np.array([30, "65+", 41, 1], dtype=object)[rng.integers(0, 4, n)]
    for sf in (list(ages), pd.Series(ages, name="age")):
        ours = metrics_by_group(y_true, y_pred, sensitive_features=sf)
        frame = fairlearn_metrics.MetricFrame(
            metrics={"selection_rate": fairlearn_metrics.selection_rate,
                     "count": fairlearn_metrics.count},
            y_true=y_true, y_pred=y_pred, sensitive_features=sf)
        assert ours.index.tolist() == frame.by_group.index.tolist()  # [1, 30, 41, '65+']
        np.testing.assert_allclose(ours["selection_rate"], frame.by_group["selection_rate"])
        np.testing.assert_allclose(ours["count"], frame.by_group["count"])
        report = FairnessReport()
        report.update(y_true, y_pred, sf)
        assert {"selection_rate[65+]", "selection_rate[1]"} <= set(report.get())
        metric = SelectionRateByGroup()
        metric.update(y_true, y_pred, sf)
        assert metric.get().index.tolist() == [1, 30, 41, "65+"]
    X = rng.normal(size=(n, 2))
    clf = AranyaniClassifier(random_state=0).fit(X, y_true, sensitive_features=list(ages))
    assert sorted(map(str, clf.group_encoder_.groups_)) == ["1", "30", "41", "65+"]


def test_series_of_tuples_is_one_attribute_of_tuple_labels():
    fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
    y_true = np.array([1, 0, 1, 0, 1, 1])
    y_pred = np.array([1, 0, 0, 0, 1, 0])
    sf = pd.Series([("a", "x"), ("b", "y"), ("a", "x"), ("b", "y"), ("a", "y"), ("a", "y")])
    ours = metrics_by_group(y_true, y_pred, sensitive_features=sf)
    frame = fairlearn_metrics.MetricFrame(metrics=fairlearn_metrics.selection_rate,
                                          y_true=y_true, y_pred=y_pred, sensitive_features=sf)
    assert ours.index.tolist() == frame.by_group.index.tolist()
    np.testing.assert_allclose(ours["selection_rate"], frame.by_group.to_numpy())


def test_groups_1_and_string_1_get_distinct_names():
    X, _, y_reg, _, _ = _data(200)
    for labels in ([1, "1"] * 100, ["1", 1] * 100):
        names = GroupwiseRegretRegressor().fit(X, y_reg, sensitive_features=labels).group_names_
        assert len(set(names)) == len(names) == 3
    y_true = np.array([1, 0, 1, 0])
    report = FairnessReport()
    report.update(y_true, y_true, [1, "1", 1, "1"])
    rates = {k: v for k, v in report.get().items() if k.startswith("selection_rate[")}
    assert rates == {"selection_rate[1]": 1.0, "selection_rate['1']": 0.0}


# ------------------------------------------------------------------------------------------
# issue 14 item 6: messages a user meets
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", STREAMING, ids=IDS)
@pytest.mark.parametrize("method", ["fit", "partial_fit", "partial_fit_predict"])
def test_misspelled_keyword_is_a_type_error_from_the_public_method(cls, method):
    X, y_clf, y_reg, sex, _ = _data(40)
    est = _make(cls)
    y = _target(est, y_clf, y_reg)
    with pytest.raises(TypeError, match=rf"{method}\(\) got an unexpected keyword argument "
                                        r"'sensitive_feature'") as info:
        getattr(est, method)(X, y, sensitive_feature=sex)
    assert "_validate" not in str(info.value)
    assert not hasattr(est, "n_features_in_")


def test_numeric_attribute_with_many_values_warns_with_the_number_of_groups():
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, 2, n)
    sf = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age": rng.integers(17, 91, n)})
    with pytest.warns(UserWarning, match=r"define \d+ groups.*'age' \(74 distinct values\).*"
                                         r"pd\.cut"):
        AranyaniClassifier(random_state=0).fit(X, y, sensitive_features=sf)
    with pytest.warns(UserWarning, match="'age'"):
        metrics_by_group(y, y, sensitive_features=sf)
    with warnings.catch_warnings():  # categorical attributes and few groups: silent
        warnings.simplefilter("error")
        AranyaniClassifier(random_state=0).fit(X, y, sensitive_features=sf["sex"])
        AranyaniClassifier(random_state=0).fit(
            X, y, sensitive_features=pd.cut(sf["age"], [0, 25, 45, 65, 120]).astype(str))


def test_every_exported_estimator_is_covered():
    exported = {getattr(fairlearn_online, n) for n in fairlearn_online.__all__}
    estimators = {c for c in exported if isinstance(c, type) and hasattr(c, "partial_fit")}
    assert estimators <= set(STREAMING) | {MultiwinnerSelector}


# --------------------------------------------------------------------------------------------
# item 6: the mutual-information fairness limit is checked and well conditioned
# --------------------------------------------------------------------------------------------
def _many_cells(n=50_000, n_cells=5000, n_groups=4, seed=0):
    from fairlearn_online.optimum import quantile_cells

    rng = np.random.default_rng(seed)
    z = rng.integers(0, n_groups, n)
    score = rng.normal(size=n) + 0.7 * z
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * score))).astype(int)
    return quantile_cells(score, n_cells), z, y


def test_mutual_information_limit_with_5000_cells_is_optimal_and_meets_its_bound():
    from fairlearn_online.optimum import fairness_limit
    from fairlearn_online.optimum._limits import ABS_TOL, REL_TOL

    cells, z, y = _many_cells()
    assert len(np.unique(cells)) == 5000
    free = fairness_limit(cells, z, y, constraint="mutual_information", eps=np.inf)
    for eps in [0.0, 0.002, 0.02]:
        res = fairness_limit(cells, z, y, constraint="mutual_information", eps=eps)
        assert res.status == "optimal"
        assert res.disparity <= eps + ABS_TOL + REL_TOL * eps
        assert res.accuracy <= free.accuracy + 1e-9
        # the reported disparity and accuracy are those of the returned decision
        q1 = np.bincount(z, weights=res.decision[cells], minlength=4) / len(z)
        joint = np.column_stack([np.bincount(z, minlength=4) / len(z) - q1, q1])
        assert res.disparity == pytest.approx(
            fairlearn_online.optimum.mutual_information(joint), abs=1e-12)
        pos = res.decision[cells]
        assert res.accuracy == pytest.approx(np.mean(np.where(y == 1, pos, 1 - pos)), abs=1e-9)


def test_fairness_limit_that_violates_its_bound_warns_with_the_achieved_value(monkeypatch):
    from fairlearn_online.optimum import FairnessLimitWarning, fairness_limit
    from fairlearn_online.optimum import _limits

    cells, z, y = _many_cells(n=2000, n_cells=20, n_groups=2)
    free = fairness_limit(cells, z, y, constraint="mutual_information", eps=np.inf)
    assert free.disparity > 0.01
    # a solver that ignores the bound (as Clarabel's "optimal_inaccurate" did, 11x over it)
    monkeypatch.setattr(_limits._MutualInformationProgram, "solve",
                        lambda self, eps: (free.decision.copy(), "optimal_inaccurate"))
    with pytest.warns(FairnessLimitWarning, match=r"disparity 0\.0\d+ > eps = 0\.002"):
        res = fairness_limit(cells, z, y, constraint="mutual_information", eps=0.002)
    assert res.status == "violated" and res.disparity > 0.002
    # the linear programs are checked the same way
    def unfair(self, eps):  # select every other cell, whatever the bound
        return (np.arange(self.p.shape[0]) % 2).astype(float), "optimal"

    monkeypatch.setattr(_limits._Limit, "_solve_once", unfair)
    with pytest.warns(FairnessLimitWarning, match="demographic_parity"):
        res = fairness_limit(cells, z, y, constraint="demographic_parity", eps=0.0)
    assert res.status == "violated"


# --------------------------------------------------------------------------------------------
# item 8: a failed chunk leaves the estimator as before it (or, sliced, as after whole slices)
# --------------------------------------------------------------------------------------------
def _fit_two(est, X, y, g, n_first=100):
    kw = {"classes": np.unique(y)} if is_classifier(est) else {}
    est.partial_fit(X[:n_first], y[:n_first], sensitive_features=g[:n_first], **kw)
    return est


@pytest.mark.parametrize("cls", STREAMING, ids=IDS)
@pytest.mark.parametrize("failure", [KeyboardInterrupt, MemoryError, RuntimeError])
def test_failure_inside_a_chunk_restores_the_state_and_counters(cls, failure, monkeypatch):
    X, y_clf, y_reg, sex, _ = _data(n=300)
    y = _target(cls(), y_clf, y_reg)
    est = _fit_two(_make(cls), X, y, sex)
    before = _state(est)
    seen = getattr(est, "n_samples_seen_", None)
    original = cls._partial_fit

    def learn_then_fail(self, *args):  # the interrupt arrives once the kernel has run
        original(self, *args)
        raise failure("simulated")

    monkeypatch.setattr(cls, "_partial_fit", learn_then_fail)
    with pytest.raises(failure, match="simulated"):
        est.partial_fit(X[100:200], y[100:200], sensitive_features=sex[100:200])
    monkeypatch.undo()
    assert getattr(est, "n_samples_seen_", None) == seen
    assert _state(est) == before
    # and it goes on exactly as an estimator that never saw the failed chunk
    ref = _fit_two(_make(cls), X, y, sex)
    for model in (est, ref):
        model.partial_fit(X[200:], y[200:], sensitive_features=sex[200:])
    np.testing.assert_array_equal(_predict(est, X, sex), _predict(ref, X, sex))


def test_interrupt_in_the_regret_kernel_leaves_counter_and_state_consistent(monkeypatch):
    from fairlearn_online.regret import _estimator as regret_module

    X, _, y, sex, _ = _data(n=300)
    est = _fit_two(GroupwiseRegretRegressor(), X, y, sex)
    before, kernel = _state(est), regret_module.anh_ridge_chunk

    def kernel_then_ctrl_c(*args):
        kernel(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(regret_module, "anh_ridge_chunk", kernel_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X[100:], y[100:], sensitive_features=sex[100:])
    assert est.n_samples_seen_ == 100 and _state(est) == before


def test_interrupt_between_dcov_optimizer_steps_restores_everything(monkeypatch):
    X, y, _, sex, _ = _data(n=400)
    est = _fit_two(DCovRegularizedClassifier(batch_size=8, fairness_weight=1.0, random_state=0),
                   X, y, sex)
    before, step = _state(est), DCovRegularizedClassifier._step
    calls = []

    def step_then_ctrl_c(self, grads):
        step(self, grads)
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(DCovRegularizedClassifier, "_step", step_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X[100:], y[100:], sensitive_features=sex[100:])
    assert len(calls) == 5 and est.n_samples_seen_ == 100 and _state(est) == before


def test_diverging_dcov_step_raises_naming_learning_rate_and_changes_nothing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)) * 100
    y = X[:, 0] * 1e3
    sex = rng.choice(["a", "b"], size=400)
    est = DCovRegularizedRegressor(hidden_layer_sizes=(8,), solver="sgd", batch_size=16,
                                   fairness_weight=1.0, random_state=0)
    est.partial_fit(X[:16] / 100, y[:16] / 1e5, sensitive_features=sex[:16])
    before = _state(est)
    est.set_params(learning_rate=1e8)  # a mutable parameter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow warnings
        with pytest.raises(ValueError, match=r"diverged.*learning_rate=100000000\.0"):
            est.partial_fit(X, y, sensitive_features=sex)
    assert _state(est) == before and est.n_samples_seen_ == 16
    assert all(np.isfinite(c).all() for c in est.coefs_)


def test_memory_error_while_initialising_leaves_the_estimator_unfitted():
    from sklearn.exceptions import NotFittedError

    X, y, _, sex, _ = _data(n=50, d=20)
    est = AranyaniClassifier(fairness_memory="reservoir", reservoir_size=10**8)
    with pytest.raises(MemoryError):  # 30 GB of reservoir for two groups of 20 features
        est.partial_fit(X, y, sensitive_features=sex)
    assert not [name for name in vars(est) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        est.predict(X)
    est.set_params(reservoir_size=50).partial_fit(X, y, sensitive_features=sex)
    assert est.n_samples_seen_ == 50


@pytest.mark.parametrize("params", [{}, {"fairness_weight": 1.0},
                                    {"fairness_memory": "reservoir", "reservoir_size": 20,
                                     "fairness_weight": 1.0},
                                    {"fairness_target": "output", "fairness_weight": 1.0}],
                         ids=["plain", "aggregate", "reservoir", "output"])
def test_aranyani_slices_give_the_bits_of_one_kernel_call(params, monkeypatch):
    from fairlearn_online.forest import _aranyani

    X, y, _, sex, _ = _data(n=500)
    whole = AranyaniClassifier(random_state=0, **params)
    pred_whole = whole.partial_fit_predict(X, y, sensitive_features=sex)
    calls = []
    kernel = _aranyani._packed.learn

    def counting(packed, est, X, *args):
        calls.append(X.shape[0])
        return kernel(packed, est, X, *args)

    monkeypatch.setattr(_aranyani._packed, "learn", counting)
    monkeypatch.setattr(_aranyani, "_SLICE_WORK", 1.0)  # one row per slice
    sliced = AranyaniClassifier(random_state=0, **params)
    pred_sliced = sliced.partial_fit_predict(X, y, sensitive_features=sex)
    assert calls == [1] * 500
    np.testing.assert_array_equal(pred_sliced, pred_whole)
    assert _state(sliced) == _state(whole)


def test_interrupted_aranyani_chunk_keeps_the_whole_slices_learned(monkeypatch):
    from fairlearn_online.forest import _aranyani

    X, y, _, sex, _ = _data(n=400)
    monkeypatch.setattr(_aranyani, "_SLICE_WORK", 1.0)
    step = _fit_two(AranyaniClassifier(random_state=0), X, y, sex)._slice_rows()
    assert step == 1
    monkeypatch.setattr(_aranyani, "_SLICE_WORK", 40 * 15 * 4 * 3 * 4)  # 40-row slices
    est = _fit_two(AranyaniClassifier(random_state=0), X, y, sex)
    assert est._slice_rows() == 40
    kernel, calls = _aranyani._packed.learn, []

    def ctrl_c_at_the_third_slice(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as numba would raise it once the kernel returned
        return kernel(*args)

    monkeypatch.setattr(_aranyani._packed, "learn", ctrl_c_at_the_third_slice)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X[100:], y[100:], sensitive_features=sex[100:])
    monkeypatch.setattr(_aranyani._packed, "learn", kernel)
    # exactly the state after the two whole slices: as if the chunk had been 80 rows
    assert est.n_samples_seen_ == 180
    ref = _fit_two(AranyaniClassifier(random_state=0), X, y, sex)
    ref.partial_fit(X[100:180], y[100:180], sensitive_features=sex[100:180])
    assert _state(est) == _state(ref)


def _arrays(value):
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in _arrays(v)]
    return []


def _predict(est, X, sex):
    try:
        return est.predict(X, sensitive_features=sex)
    except TypeError:
        return est.predict(X)


READ_ONLY = [AranyaniClassifier, OnlineFairLogisticClassifier, DCovRegularizedClassifier,
             DCovRegularizedRegressor, FAHTClassifier, GroupwiseRegretRegressor]


@pytest.mark.parametrize("how", ["joblib_mmap", "pickle5_readonly"])
@pytest.mark.parametrize("cls", READ_ONLY, ids=[c.__name__ for c in READ_ONLY])
def test_read_only_state_is_copied_on_write(cls, how, tmp_path):
    import pickle

    import joblib

    X, y_clf, y_reg, sex, _ = _data(n=300)
    y = _target(cls(), y_clf, y_reg)
    est = _fit_two(_make(cls), X, y, sex)
    if how == "joblib_mmap":
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    else:
        buffers = []
        data = pickle.dumps(est, protocol=5, buffer_callback=buffers.append)
        # immutable copies of the buffers (raw() would share est's own memory)
        loaded = pickle.loads(data, buffers=[memoryview(bytes(b.raw())) for b in buffers])
    arrays = [a for v in vars(loaded).values() for a in _arrays(v)
              if a.size > 1 and not a.flags.writeable]
    assert arrays  # the case of the issue (non-contiguous views may be pickled in-band)
    frozen = [a.copy() for a in arrays]
    for model in (loaded, est):
        model.partial_fit(X[100:200], y[100:200], sensitive_features=sex[100:200])
        model.partial_fit(X[200:201], y[200:201], sensitive_features=sex[200:201])  # one event
    np.testing.assert_array_equal(_predict(loaded, X, sex), _predict(est, X, sex))
    for a, b in zip(arrays, frozen):  # the shared (mapped) memory was not written
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------------------
# item 10: portable Generator pickles, the dCov penalty on tiny batches
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [AranyaniClassifier, DCovRegularizedClassifier,
                                 DCovRegularizedRegressor])
def test_pickled_generator_is_plain_seed_state(cls):
    import pickle
    import pickletools

    X, y_clf, y_reg, sex, _ = _data(n=200)
    y = _target(cls(), y_clf, y_reg)
    params = {"fairness_memory": "reservoir"} if cls is AranyaniClassifier else {}
    est = _fit_two(_make(cls, **params), X, y, sex)
    assert isinstance(est.rng_, np.random.Generator)
    data = pickle.dumps(est)
    names = {str(arg) for op, arg, _ in pickletools.genops(data)
             if op.name in ("GLOBAL", "STACK_GLOBAL", "SHORT_BINUNICODE", "BINUNICODE",
                            "UNICODE")}
    assert not [n for n in names if "numpy.random" in n or "bit_generator" in n
                or "_generator" in n], names
    loaded = pickle.loads(data)
    assert isinstance(loaded.rng_, np.random.Generator)
    for model in (loaded, est):
        model.partial_fit(X[100:], y[100:], sensitive_features=sex[100:])
    assert _state(loaded) == _state(est)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize("cls", [DCovRegularizedClassifier, DCovRegularizedRegressor])
def test_dcov_batches_under_four_rows_warn_once_that_the_penalty_needs_four(cls):
    X, y_clf, y_reg, sex, _ = _data(n=40)
    y = _target(cls(), y_clf, y_reg)
    est = cls(fairness_weight=5.0, batch_size=1, random_state=0)
    with pytest.warns(UserWarning, match=r"needs batches of >= 4 rows") as record:
        est.partial_fit(X[:20], y[:20], sensitive_features=sex[:20])
        for i in range(20, 25):
            est.partial_fit(X[i:i + 1], y[i:i + 1], sensitive_features=sex[i:i + 1])
    assert len([w for w in record if "needs batches" in str(w.message)]) == 1
    with warnings.catch_warnings():  # batches of 4 rows and more, or no penalty: no warning
        warnings.simplefilter("error")
        cls(fairness_weight=5.0, batch_size=4, random_state=0).partial_fit(
            X, y, sensitive_features=sex)
        cls(fairness_weight=0.0, batch_size=1, random_state=0).partial_fit(
            X, y, sensitive_features=sex)


# --------------------------------------------------------------------------------------------
# item 10: metric weights, prequential lists, empty chunks, +-max-float features
# --------------------------------------------------------------------------------------------
def _weighted_case():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    p = rng.integers(0, 2, 60)
    g = rng.choice(["a", "b", "c"], 60)
    return y, p, g


def test_metrics_count_rows_as_fairlearn_does():
    from fairlearn.metrics import MetricFrame, count

    y, p, g = _weighted_case()
    w = np.random.default_rng(4).uniform(0.1, 5.0, size=60)
    ours = metrics_by_group(y, p, sensitive_features=g, sample_weight=w)["count"]
    theirs = MetricFrame(metrics=count, y_true=y, y_pred=p, sensitive_features=g).by_group
    np.testing.assert_array_equal(ours.to_numpy(), theirs.to_numpy(dtype=float))
    assert ours.sum() == 60


@pytest.mark.parametrize("huge", [1e308, 1e200, np.finfo(float).max])
def test_huge_equal_weights_give_the_unweighted_metrics(huge):
    """Equal weights do not change a rate; sums of 1e308 overflowed to NaN before (fairlearn
    returns 0.0 for the DP difference there, a finite but wrong value)."""
    from fairlearn_online.metrics import (demographic_parity_difference,
                                          equalized_odds_difference, selection_rate)

    y, p, g = _weighted_case()
    w = np.full(60, huge)
    for fn in (demographic_parity_difference, equalized_odds_difference):
        assert fn(y, p, sensitive_features=g, sample_weight=w) == pytest.approx(
            fn(y, p, sensitive_features=g), abs=1e-12)
    assert selection_rate(y, p, sample_weight=w) == pytest.approx(selection_rate(y, p))
    table = metrics_by_group(y, p, sensitive_features=g, sample_weight=w)
    pd.testing.assert_frame_equal(table, metrics_by_group(y, p, sensitive_features=g))
    # mixed magnitudes, chunk by chunk: the same as the weights scaled down by 2**1000
    metric = SelectionRateByGroup()
    rates = metric.update(y[:30], p[:30], g[:30], sample_weight=np.ones(30)).update(
        y[30:], p[30:], g[30:], sample_weight=np.full(30, huge)).get()
    scaled = SelectionRateByGroup().update(
        y[:30], p[:30], g[:30], sample_weight=np.full(30, 2.0 ** -1000)).update(
        y[30:], p[30:], g[30:], sample_weight=np.full(30, huge * 2.0 ** -1000)).get()
    assert np.all(np.isfinite(rates.to_numpy()))
    np.testing.assert_allclose(rates.to_numpy(), scaled.to_numpy(), rtol=1e-12)
    report = FairnessReport().update(y, p, g, sample_weight=w).get()
    assert np.isfinite(report["demographic_parity_difference"])


def test_all_zero_weights_raise_a_clear_error():
    from fairlearn_online.metrics import demographic_parity_difference, selection_rate

    y, p, g = _weighted_case()
    zeros = np.zeros(60)
    calls = [lambda: metrics_by_group(y, p, sensitive_features=g, sample_weight=zeros),
             lambda: demographic_parity_difference(y, p, sensitive_features=g,
                                                   sample_weight=zeros),
             lambda: selection_rate(y, p, sample_weight=zeros),
             lambda: FairnessReport().update(y, p, g, sample_weight=zeros).get()]
    for call in calls:
        with pytest.raises(ValueError, match=r"sample_weight is 0 for all 60 samples"):
            call()


def test_prequential_accepts_plain_lists():
    from fairlearn_online.evaluate import prequential
    from sklearn.linear_model import SGDClassifier

    X, y, _, sex, _ = _data(n=120)
    for est in (AranyaniClassifier(random_state=0), SGDClassifier(random_state=0)):
        for delay in (None, 3):
            lists = prequential(clone(est), X.tolist(), y.tolist(), sensitive_features=list(sex),
                                every=40, delay=delay)
            arrays = prequential(clone(est), X, y, sensitive_features=sex, every=40,
                                 delay=delay)
            pd.testing.assert_frame_equal(lists, arrays)


@pytest.mark.parametrize("cls", STREAMING, ids=IDS)
def test_empty_chunk_of_the_wrong_shape_is_rejected_after_fitting(cls):
    X, y_clf, y_reg, sex, race = _data(n=100)
    y = _target(cls(), y_clf, y_reg)
    est = _fit_two(_make(cls), X, y, sex)
    before = _state(est)
    est.partial_fit(X[:0], y[:0], sensitive_features=sex[:0])  # the documented no-op
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(np.zeros((0, 5)), y[:0], sensitive_features=sex[:0])
    if cls is not MajorityClassClassifier:  # which ignores sensitive features
        with pytest.raises(ValueError, match="columns|sensitive_features"):
            est.partial_fit(X[:0], y[:0], sensitive_features=np.column_stack([sex, race])[:0])
        with pytest.raises(ValueError, match="sensitive_features"):
            est.partial_fit(X[:0], y[:0])
    assert _state(est) == before


@pytest.mark.parametrize("cls", [OnlineFairLogisticClassifier, AranyaniClassifier])
def test_max_float_features_are_rejected_not_learned_as_nan(cls):
    X, y, _, sex, _ = _data(n=60, d=2)
    big = np.where(X > 0, np.finfo(float).max, -np.finfo(float).max)
    est = _make(cls, fairness_weight=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow warnings
        with pytest.raises(ValueError, match=r"non-finite .*rescale X"):
            est.partial_fit(big, y, sensitive_features=sex)  # NaN coef_ before, yet predicting
        assert not [name for name in vars(est) if name.endswith("_")]
        # a fitted one either learns finite weights or is left unchanged by the error
        est = _fit_two(_make(cls, fairness_weight=1.0), X, y, sex, n_first=30)
        before = _state(est)
        try:
            est.partial_fit(big, y, sensitive_features=sex)
        except ValueError as exc:
            assert "rescale X" in str(exc) and _state(est) == before
    for value in vars(est).values():
        for a in _arrays(value):
            assert a.dtype.kind != "f" or np.all(np.isfinite(a))
    assert np.all(np.isfinite(est.predict_proba(X)))


# --------------------------------------------------------------------------------------------
# item 10 for StreamingMetricFrame: huge weights (cumulative, window, decay, merge, intervals)
# --------------------------------------------------------------------------------------------
_FRAME_METRICS = ["accuracy", "selection_rate", "true_positive_rate", "false_positive_rate",
                  "true_negative_rate", "false_negative_rate", "mean_prediction",
                  "mean_squared_error", "mean_absolute_error", "count"]
_KINDS = [{}, {"window": 25}, {"decay": 0.97}]
_DOWN = 2.0 ** -1000  # the huge weights scaled into the range where fairlearn's sums are finite


def _frame_case(n=80, seed=5):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    g = rng.choice(["a", "b", "c"], n)
    return y, p, g, rng.uniform(0.5, 1.0, n) * 1e308


def _fairlearn_frame(y, p, g, w):
    from fairlearn import metrics as flm
    from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error

    funcs = {"accuracy": accuracy_score, "selection_rate": flm.selection_rate,
             "true_positive_rate": flm.true_positive_rate,
             "false_positive_rate": flm.false_positive_rate,
             "true_negative_rate": flm.true_negative_rate,
             "false_negative_rate": flm.false_negative_rate,
             "mean_prediction": flm.mean_prediction, "mean_squared_error": mean_squared_error,
             "mean_absolute_error": mean_absolute_error, "count": flm.count}
    params = {k: {"sample_weight": w} for k in funcs if k != "count"}
    return flm.MetricFrame(metrics=funcs, y_true=y, y_pred=p, sensitive_features=g,
                           sample_params=params)


@pytest.mark.parametrize("kind", _KINDS, ids=["cumulative", "window", "decay"])
def test_streaming_frame_with_1e308_weights_matches_fairlearn_on_scaled_weights(kind):
    """Ratios do not change when every weight is divided by 2**1000; fairlearn's sums of 1e308
    overflow (NaN, or rates of 0.0), ours are kept divided by a running power of two."""
    from fairlearn_online.metrics import StreamingMetricFrame

    y, p, g, w = _frame_case()
    frame = StreamingMetricFrame(_FRAME_METRICS, **kind)
    for a, b in [(0, 30), (30, 31), (31, 80)]:
        frame.update(y[a:b], p[a:b], sensitive_features=g[a:b], sample_weight=w[a:b])
    rows = slice(80 - kind.get("window", 80), 80)
    age = np.arange(79, -1, -1)[rows]
    covered = w[rows] * _DOWN * kind.get("decay", 1.0) ** age
    ref = _fairlearn_frame(y[rows], p[rows], g[rows], covered)
    assert np.all(np.isfinite(frame.by_group.to_numpy()))
    np.testing.assert_allclose(frame.by_group.to_numpy(), ref.by_group.to_numpy(dtype=float),
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(frame.overall.to_numpy(), ref.overall.to_numpy(dtype=float),
                               rtol=1e-12, atol=0)
    # merge: two frames of consecutive halves equal the frame of the whole stream
    first, second = StreamingMetricFrame(_FRAME_METRICS, **kind), StreamingMetricFrame(
        _FRAME_METRICS, **kind)
    first.update(y[:40], p[:40], sensitive_features=g[:40], sample_weight=np.ones(40))
    second.update(y[40:], p[40:], sensitive_features=g[40:], sample_weight=w[40:])
    whole = StreamingMetricFrame(_FRAME_METRICS, **kind).update(
        y, p, sensitive_features=g, sample_weight=np.r_[np.ones(40), w[40:]])
    np.testing.assert_allclose((first + second).by_group.to_numpy(),
                               whole.by_group.to_numpy(), rtol=1e-12)
    assert np.all(np.isfinite(whole.overall.to_numpy()))
    # intervals: those of the same weights divided by 2**1000 (effective sizes are scale-free)
    scaled = StreamingMetricFrame(_FRAME_METRICS, **kind).update(
        y, p, sensitive_features=g, sample_weight=w * _DOWN)
    for interval_kind in ("wilson", "exact"):
        ours = frame.interval("selection_rate", kind=interval_kind)
        assert np.all(np.isfinite(ours.to_numpy()))
        np.testing.assert_allclose(
            ours.to_numpy(), scaled.interval("selection_rate", kind=interval_kind).to_numpy(),
            rtol=1e-12)
        assert frame.difference_interval("selection_rate", kind=interval_kind) == \
            pytest.approx(scaled.difference_interval("selection_rate", kind=interval_kind),
                          rel=1e-12)


@pytest.mark.parametrize("kind", _KINDS, ids=["cumulative", "window", "decay"])
def test_streaming_frame_with_all_zero_weights_raises_a_clear_error(kind):
    from fairlearn_online.metrics import StreamingMetricFrame

    y, p, g, _ = _frame_case()
    frame = StreamingMetricFrame(["selection_rate", "count"], **kind).update(
        y, p, sensitive_features=g, sample_weight=np.zeros(80))
    merged = frame + StreamingMetricFrame(["selection_rate", "count"], **kind).update(
        y, p, sensitive_features=g, sample_weight=np.zeros(80))
    for model in (frame, merged):
        for call in (lambda: model.by_group, lambda: model.overall,
                     lambda: model.interval("selection_rate"),
                     lambda: model.difference_interval("selection_rate")):
            with pytest.raises(ValueError, match=r"sample_weight is 0 for all \d+ rows"):
                call()
    # counting rows needs no weight
    assert StreamingMetricFrame("count").update(
        y, p, sensitive_features=g, sample_weight=np.zeros(80)).overall == 80


# --------------------------------------------------------------------------------------------
# item 8 on the per-event route (learn_one, one-row partial_fit): an event and its counter
# --------------------------------------------------------------------------------------------
def _event_case(cls, **params):
    X, y_clf, y_reg, sex, _ = _data(n=300)
    est = _fit_two(_make(cls, **params), X, _target(cls(), y_clf, y_reg), sex)
    return est, X, _target(est, y_clf, y_reg), sex


def _learn_event(est, X, y, sex, i, route):
    if route == "learn_one":
        est.learn_one(X[i], y[i].item(), sensitive_features=sex[i])
    else:
        est.partial_fit(X[i:i + 1], y[i:i + 1], sensitive_features=sex[i:i + 1])


def _assert_as_reference(est, ref, X, y, sex):
    """Same counter, and the same model from here on (bit for bit)."""
    import copy
    assert getattr(est, "n_samples_seen_", None) == getattr(ref, "n_samples_seen_", None)
    est, ref = copy.deepcopy(est), copy.deepcopy(ref)
    for model in (est, ref):
        model.partial_fit(X[101:], y[101:], sensitive_features=sex[101:])
    np.testing.assert_array_equal(_predict(est, X, sex), _predict(ref, X, sex))


def _kernel_then_interrupt(kernel):
    def run(*args):
        kernel(*args)
        raise KeyboardInterrupt
    return run


def _learn_event_interrupted_after(kernels, module, est, X, y, sex, route, monkeypatch):
    """Learn event 100 with each of ``module``'s ``kernels`` raising Ctrl-C right after it ran."""
    for name in kernels:
        monkeypatch.setattr(module, name, _kernel_then_interrupt(getattr(module, name)))
    with pytest.raises(KeyboardInterrupt):
        _learn_event(est, X, y, sex, 100, route)
    monkeypatch.undo()


@pytest.mark.parametrize("route", ["learn_one", "one-row partial_fit"])
@pytest.mark.parametrize("params", [{"fairness_weight": 1.0},
                                    {"fairness_weight": 1.0, "fairness_target": "output"},
                                    {"fairness_weight": 1.0, "fairness_memory": "reservoir"}],
                         ids=["nodes", "output", "reservoir"])
def test_interrupt_after_the_forest_event_kernel_keeps_event_and_counter_together(
        params, route, monkeypatch):
    """The forest's kernel counts the event in the same call (its ``step[1]``): an interrupt
    once the kernel ran leaves the event learned *and* counted."""
    import copy

    from fairlearn_online.forest import _kernels as K

    est, X, y, sex = _event_case(AranyaniClassifier, **params)
    after = copy.deepcopy(est)
    _learn_event(after, X, y, sex, 100, route)
    _learn_event_interrupted_after(
        ("forest_learn_nodes", "forest_learn_output", "forest_learn_reservoir"), K,
        est, X, y, sex, route, monkeypatch)
    assert est.n_samples_seen_ == 101
    _assert_as_reference(est, after, X, y, sex)


@pytest.mark.parametrize("route", ["learn_one", "one-row partial_fit"])
@pytest.mark.parametrize("cls,module,kernel", [
    (GroupwiseRegretRegressor, "fairlearn_online.regret._estimator", "anh_ridge_event"),
    (GroupIndicatorRidgeRegressor, "fairlearn_online.baselines._ridge", "ridge_event"),
], ids=["regret", "ridge"])
def test_interrupt_after_the_event_kernel_keeps_event_and_counter_together(
        cls, module, kernel, route, monkeypatch):
    """The event kernel counts the event in the same call (``_samples_seen_``): an interrupt
    once it ran leaves the event learned *and* counted, as the forest's."""
    import copy
    import importlib

    est, X, y, sex = _event_case(cls)
    after = copy.deepcopy(est)
    _learn_event(after, X, y, sex, 100, route)
    _learn_event_interrupted_after((kernel,), importlib.import_module(module),
                                   est, X, y, sex, route, monkeypatch)
    assert est.n_samples_seen_ == 101
    _assert_as_reference(est, after, X, y, sex)


@pytest.mark.parametrize("cls,module,kernel", [
    (GroupwiseRegretRegressor, "fairlearn_online.regret._estimator", "anh_ridge_chunk"),
    (GroupIndicatorRidgeRegressor, "fairlearn_online.baselines._ridge", "ridge_chunk"),
], ids=["regret", "ridge"])
def test_interrupt_after_the_chunk_kernel_restores_the_chunk(cls, module, kernel,
                                                             monkeypatch):
    """A chunk's kernel ran, its counter update in Python did not: the chunk is undone."""
    import copy
    import importlib

    est, X, y, sex = _event_case(cls)
    before = copy.deepcopy(est)
    module = importlib.import_module(module)
    monkeypatch.setattr(module, kernel, _kernel_then_interrupt(getattr(module, kernel)))
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X[100:110], y[100:110], sensitive_features=sex[100:110])
    monkeypatch.undo()
    assert est.n_samples_seen_ == 100
    _assert_as_reference(est, before, X, y, sex)


@pytest.mark.parametrize("cls", [c for c in STREAMING if c is not AranyaniClassifier], ids=[
    c.__name__ for c in STREAMING if c is not AranyaniClassifier])
@pytest.mark.parametrize("failure", [KeyboardInterrupt, MemoryError])
def test_failure_inside_a_one_row_chunk_restores_the_state(cls, failure, monkeypatch):
    """The per-event route has its own (cheap) transaction, as the chunk route: the state is
    that of before the event, or (a kernel that commits an event in one call) of after it."""
    import copy

    est, X, y, sex = _event_case(cls)
    # the estimator's per-event hook (its chunk step, or its kernel called directly)
    before, original = copy.deepcopy(est), cls._event_learn
    after = copy.deepcopy(est)
    _learn_event(after, X, y, sex, 100, "one-row partial_fit")

    def learn_then_fail(self, *args):
        original(self, *args)
        raise failure("simulated")

    monkeypatch.setattr(cls, "_event_learn", learn_then_fail)
    with pytest.raises(failure, match="simulated"):
        _learn_event(est, X, y, sex, 100, "one-row partial_fit")
    monkeypatch.undo()
    ref = after if cls._event_learn_atomic else before
    assert _state(est) == _state(ref)
    _assert_as_reference(est, ref, X, y, sex)


# --------------------------------------------------------------------------------------------
# item 8 for fit: a failed or interrupted fit leaves the estimator as before the call
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", STREAMING, ids=IDS)
@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_failed_fit_leaves_the_estimator_as_before_fit(cls, failure, monkeypatch):
    X, y_clf, y_reg, sex, _ = _data(n=300)
    y = _target(cls(), y_clf, y_reg)
    est = _make(cls).fit(X[:150], y[:150], sensitive_features=sex[:150])
    before, original = _state(est), cls._partial_fit

    def learn_then_fail(self, *args):
        original(self, *args)
        raise failure("simulated")

    monkeypatch.setattr(cls, "_partial_fit", learn_then_fail)
    with pytest.raises(failure, match="simulated"):
        est.fit(X[150:], y[150:], sensitive_features=sex[150:])
    monkeypatch.undo()
    assert _state(est) == before
    ref = _make(cls).fit(X[:150], y[:150], sensitive_features=sex[:150])
    np.testing.assert_array_equal(_predict(est, X, sex), _predict(ref, X, sex))


def test_interrupted_aranyani_fit_keeps_none_of_its_slices(monkeypatch):
    """A chunk keeps the slices it learned; a fit is one transaction above them."""
    from fairlearn_online.forest import _aranyani

    X, y, _, sex, _ = _data(n=400)
    est = AranyaniClassifier(random_state=0).fit(X[:100], y[:100], sensitive_features=sex[:100])
    before = _state(est)
    monkeypatch.setattr(_aranyani, "_SLICE_WORK", 40 * 15 * 4 * 3 * 4)  # 40-row slices
    kernel, calls = _aranyani._packed.learn, []

    def ctrl_c_at_the_third_slice(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return kernel(*args)

    monkeypatch.setattr(_aranyani._packed, "learn", ctrl_c_at_the_third_slice)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X[100:], y[100:], sensitive_features=sex[100:])
    assert len(calls) == 3 and est.n_samples_seen_ == 100 and _state(est) == before


@pytest.mark.parametrize("cls", [DCovRegularizedClassifier, DCovRegularizedRegressor])
@pytest.mark.parametrize("shuffle", [False, True])
def test_failure_in_a_later_dcov_epoch_leaves_the_estimator_as_before_fit(cls, shuffle,
                                                                          monkeypatch):
    X, y_clf, y_reg, sex, _ = _data(n=300)
    y = _target(cls(), y_clf, y_reg)
    est = cls(n_epochs=3, shuffle=shuffle, random_state=0).fit(X[:100], y[:100],
                                                               sensitive_features=sex[:100])
    before, seen, original, calls = _state(est), est.n_samples_seen_, cls._partial_fit, []

    def fail_in_the_second_epoch(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise MemoryError("simulated")
        return original(self, *args)

    monkeypatch.setattr(cls, "_partial_fit", fail_in_the_second_epoch)
    with pytest.raises(MemoryError, match="simulated"):
        est.fit(X[100:], y[100:], sensitive_features=sex[100:])
    assert len(calls) == 2 and est.n_samples_seen_ == seen and _state(est) == before


def test_failed_selector_fit_leaves_the_selector_as_before_fit(monkeypatch):
    from fairlearn_online.selection import _selector

    rng = np.random.default_rng(0)
    rankings = np.array([rng.permutation(6) for _ in range(40)])
    sel = MultiwinnerSelector(k=2).fit(rankings[:20])
    before, kernel = _state(sel), _selector.accumulate_position_counts
    monkeypatch.setattr(_selector, "accumulate_position_counts",
                        _kernel_then_interrupt(kernel))
    with pytest.raises(KeyboardInterrupt):
        sel.fit(rankings[20:])
    assert _state(sel) == before and sel.n_rankings_ == 20


# --------------------------------------------------------------------------------------------
# item 6 for aglfop: every solution is checked against its bounds (the fairness_limit check)
# --------------------------------------------------------------------------------------------
_P_ZSY = np.array([[[0.3, 0.1], [0.1, 0.1]], [[0.1, 0.1], [0.05, 0.15]]])


def test_aglfop_solution_that_violates_its_bounds_warns_and_is_marked_violated(monkeypatch):
    from fairlearn_online.optimum import FairnessLimitWarning, aglfop, aglfop_frontier
    from fairlearn_online.optimum import _aglfop

    free = aglfop(_P_ZSY, inputs="zs")
    assert free.global_disparity > 0.01 and free.status == "optimal"
    real = _aglfop._AGLFOPProgram.solve
    calls = []

    def ignores_the_bounds(self, eps_global, eps_local):  # as an inaccurate solver could
        calls.append((eps_global, eps_local))
        return real(self, np.inf, np.inf)

    monkeypatch.setattr(_aglfop._AGLFOPProgram, "solve", ignores_the_bounds)
    with pytest.warns(FairnessLimitWarning, match=r"global disparity 0\.\d+ > eps_global = "
                                                  r"0\.002 \(tolerance"):
        res = aglfop(_P_ZSY, eps_global=0.002, inputs="zs")
    assert res.status == "violated" and res.global_disparity > 0.002 and len(calls) == 1
    with pytest.warns(FairnessLimitWarning, match="local disparity"):
        grid = aglfop_frontier(_P_ZSY, [np.inf], [0.001], inputs="zs")
    assert grid["status"].tolist() == ["violated"]


def test_aglfop_small_excess_is_solved_again_with_the_bound_tightened(monkeypatch):
    from fairlearn_online.optimum import aglfop
    from fairlearn_online.optimum import _aglfop

    real = _aglfop._AGLFOPProgram.solve
    calls = []

    def slightly_over_first(self, eps_global, eps_local):
        calls.append(eps_global)
        if len(calls) == 1:  # the solution of a 10 % looser bound
            return real(self, eps_global * 1.1, eps_local)
        return real(self, eps_global, eps_local)

    monkeypatch.setattr(_aglfop._AGLFOPProgram, "solve", slightly_over_first)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = aglfop(_P_ZSY, eps_global=0.01, inputs="zs")
    assert len(calls) == 2 and calls[1] < 0.01
    assert res.status != "violated" and res.global_disparity <= 0.01 + 1e-7 + 1e-8


# --------------------------------------------------------------------------------------------
# Aranyani without sensitive_features: the optimizer would wait forever for a second group
# --------------------------------------------------------------------------------------------
def test_aranyani_penalized_without_sensitive_features_warns_once_naming_them():
    from fairlearn_online.forest import SingleGroupWarning

    X, y, _, sex, _ = _data(n=200)
    est = AranyaniClassifier(fairness_weight=1.0, random_state=0)
    with pytest.warns(SingleGroupWarning, match="sensitive_features") as record:
        est.partial_fit(X[:100], y[:100])
    assert len(record) == 1 and issubclass(SingleGroupWarning, UserWarning)
    assert est.adam_step_[0] == 0  # it indeed learned nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.partial_fit(X[100:], y[100:])  # once
        for x, label in zip(X[:5], y[:5]):
            est.learn_one(x, int(label))
        # no warning where it learns: groups given, no penalty, or an optimizer that never waits
        AranyaniClassifier(fairness_weight=1.0).fit(X, y, sensitive_features=sex)
        AranyaniClassifier(fairness_weight=0.0).fit(X, y)
        AranyaniClassifier(fairness_weight=1.0, wait_for_groups="never").fit(X, y)
    # a penalty switched on mid-stream warns then
    est = AranyaniClassifier(fairness_weight=0.0).fit(X[:100], y[:100])
    est.set_params(fairness_weight=2.0)
    with pytest.warns(SingleGroupWarning, match="sensitive_features"):
        est.learn_one(X[100], int(y[100]))
