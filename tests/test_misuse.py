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
            if k.endswith("_") and k != "_event_cache_"}


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
