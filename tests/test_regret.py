"""GroupwiseRegretRegressor, its baseline and groupwise_regret."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import SGDRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from fairlearn_online import GroupwiseRegretRegressor, groupwise_regret
from fairlearn_online.datasets import make_groupwise_regression
from fairlearn_online.baselines import GroupIndicatorRidgeRegressor
from fairlearn_online.regret import hindsight_loss
from fairlearn_online.regret._reference import anh_ridge_reference
from fairlearn_online.utils import EXPECTED_FAILED_CHECKS


def _expected(est):
    return EXPECTED_FAILED_CHECKS.get(type(est).__name__, {})


@parametrize_with_checks([GroupwiseRegretRegressor(), GroupIndicatorRidgeRegressor(),
                          GroupwiseRegretRegressor(base_estimator=SGDRegressor(random_state=0))],
                         expected_failed_checks=_expected)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 4))
    sf = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n)})
    w = {"F": [1, 0, 0, 0], "M": [0, 0, 1, 0], "a": [0, 1, 0, 0], "b": [0, 0, 0, 1], "c": [0, 0, 0, 0]}
    y = np.array([np.dot(x, w[s]) + np.dot(x, w[r]) for x, s, r in
                  zip(X, sf["sex"], sf["race"])]) / 2 + 0.05 * rng.normal(size=n)
    return X, y, sf


def _member(sf, always_on=True):
    cols = [np.ones(len(sf), bool)] if always_on else []
    names = ["always_on"] if always_on else []
    for col in sf.columns:
        for v in pd.unique(sf[col]):
            cols.append((sf[col] == v).to_numpy())
            names.append(f"{col}={v}")
    return np.column_stack(cols), names


# --------------------------------------------------------------------------------------------
# correctness of the learner
# --------------------------------------------------------------------------------------------
def test_matches_numpy_reference_and_names_groups():
    X, y, sf = _data()
    est = GroupwiseRegretRegressor(alpha=0.5)
    pred = est.partial_fit_predict(X, y, sensitive_features=sf)
    member, names = _member(sf)
    assert est.group_names_ == names
    Z = np.hstack([X, np.ones((len(y), 1))])
    ref, ref_hloss = anh_ridge_reference(Z, y, member, alpha=0.5)
    np.testing.assert_allclose(pred, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.last_hedge_loss_, ref_hloss, rtol=1e-10, atol=1e-12)
    assert est.coef_.shape == (len(names), 5)
    assert est.regret_.shape == est.abs_regret_.shape == (len(names),)


def test_explicit_membership_matrix_equals_sensitive_features():
    X, y, sf = _data()
    member, names = _member(sf, always_on=False)
    a = GroupwiseRegretRegressor().partial_fit_predict(X, y, sensitive_features=sf)
    est = GroupwiseRegretRegressor()
    b = est.partial_fit_predict(X, y, groups=pd.DataFrame(member, columns=names))
    np.testing.assert_array_equal(a, b)
    assert est.group_names_ == ["always_on"] + names
    c = GroupwiseRegretRegressor().partial_fit_predict(X, y, groups=member.astype(int))
    np.testing.assert_array_equal(a, c)


def test_chunks_equal_one_pass_and_pickle_resume_is_bit_identical():
    X, y, sf = _data()
    full = GroupwiseRegretRegressor().partial_fit_predict(X, y, sensitive_features=sf)
    est = GroupwiseRegretRegressor()
    parts = [est.partial_fit_predict(X[:100], y[:100], sensitive_features=sf[:100])]
    est = pickle.loads(pickle.dumps(est))
    for s in (slice(100, 101), slice(101, 350), slice(350, None)):
        parts.append(est.partial_fit_predict(X[s], y[s], sensitive_features=sf[s]))
    np.testing.assert_array_equal(np.concatenate(parts), full)
    refit = clone(est).fit(X, y, sensitive_features=sf)
    np.testing.assert_array_equal(refit.coef_, est.coef_)


def test_predict_is_what_partial_fit_predict_would_return():
    X, y, sf = _data()
    est = GroupwiseRegretRegressor().fit(X[:400], y[:400], sensitive_features=sf[:400])
    before = est.predict(X[400:], sensitive_features=sf[400:])
    for i in (400, 401, 450):
        probe = pickle.loads(pickle.dumps(est))
        first = probe.partial_fit_predict(X[i:i + 1], y[i:i + 1], sensitive_features=sf[i:i + 1])
        assert first[0] == pytest.approx(before[i - 400], rel=1e-12)
    # unseen group at predict time: a fresh expert, exactly as learning would create it
    new_sf = sf[400:410].copy()
    new_sf.loc[:, "race"] = "never-seen"
    p_new = est.predict(X[400:410], sensitive_features=new_sf)
    probe = pickle.loads(pickle.dumps(est))
    first = probe.partial_fit_predict(X[400:401], y[400:401], sensitive_features=new_sf[:1])
    assert first[0] == pytest.approx(p_new[0], rel=1e-12)
    assert est.group_names_ == probe.group_names_[:-1]
    assert probe.group_names_[-1] == "race=never-seen"


def test_new_group_mid_stream_starts_a_new_expert():
    X, y, sf = _data()
    sf2 = sf.copy()
    sf2.loc[300:, "race"] = np.where(np.arange(300) % 2, "d", sf2.loc[300:, "race"])
    est = GroupwiseRegretRegressor().fit(X[:300], y[:300], sensitive_features=sf2[:300])
    n_before = len(est.group_names_)
    coef_before = est.coef_
    est.partial_fit(X[300:], y[300:], sensitive_features=sf2[300:])
    assert est.group_names_[-1] == "race=d" and len(est.group_names_) == n_before + 1
    # the old experts kept learning, the new one learned only its own rows
    member, _ = _member(sf2)
    ref, _ = anh_ridge_reference(np.hstack([X, np.ones((len(y), 1))]), y, member)
    pred = GroupwiseRegretRegressor().partial_fit_predict(X, y, sensitive_features=sf2)
    np.testing.assert_allclose(pred, ref, rtol=1e-10, atol=1e-12)
    assert not np.array_equal(coef_before, est.coef_[:n_before])


def test_no_group_and_no_always_on_mixes_all_experts_and_learns_nothing():
    X, y, sf = _data(200)
    member, names = _member(sf, always_on=False)
    member[50:60] = False                              # rows 50..59 belong to no group
    est = GroupwiseRegretRegressor(include_always_on=False)
    est.partial_fit(X[:50], y[:50], groups=member[:50])
    state = (est.coef_, est.regret_, est.abs_regret_)
    pred = est.partial_fit_predict(X[50:60], y[50:60], groups=member[50:60])
    for before, after in zip(state, (est.coef_, est.regret_, est.abs_regret_)):
        np.testing.assert_array_equal(before, after)
    assert np.all(np.isfinite(pred))
    ref, _ = anh_ridge_reference(np.hstack([X, np.ones((200, 1))])[:60], y[:60], member[:60])
    np.testing.assert_allclose(pred, ref[50:], rtol=1e-10)
    with pytest.raises(ValueError, match="No group"):
        GroupwiseRegretRegressor(include_always_on=False).fit(X, y)


@pytest.mark.parametrize("grouping, expected", [
    ("pairs", ["always_on", "sex=F", "sex=M", "race=a", "race=b"]),
    ("intersections", ["always_on", "sex=F, race=a", "sex=M, race=b", "sex=M, race=a"]),
    ("both", ["always_on", "sex=F", "sex=M", "race=a", "race=b", "sex=F, race=a",
              "sex=M, race=b", "sex=M, race=a"]),
])
def test_grouping_options(grouping, expected):
    X, y, _ = _data(4)
    sf = pd.DataFrame({"sex": ["F", "M", "M", "F"], "race": ["a", "b", "a", "a"]})
    est = GroupwiseRegretRegressor(groups=grouping).fit(X, y, sensitive_features=sf)
    assert est.group_names_ == expected
    # one attribute: groups are named by their label
    one = GroupwiseRegretRegressor(groups=grouping).fit(X, y, sensitive_features=sf["sex"].to_numpy())
    assert one.group_names_ == ["always_on", "F", "M"]


def test_no_sensitive_features_is_a_plain_online_ridge():
    X, y, _ = _data()
    est = GroupwiseRegretRegressor().fit(X, y)
    base = GroupIndicatorRidgeRegressor().fit(X, y)
    assert est.group_names_ == ["always_on"]
    np.testing.assert_allclose(est.coef_[0], base.coef_, rtol=1e-12)


class _NumpyOnlineRidge(RegressorMixin, BaseEstimator):
    """A scikit-learn-style online ridge (for the plug-in path), with intercept."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def partial_fit(self, X, y):
        Z = np.hstack([X, np.ones((len(X), 1))])
        if not hasattr(self, "A_"):
            self.A_ = self.alpha * np.eye(Z.shape[1])
            self.b_ = np.zeros(Z.shape[1])
        self.A_ += Z.T @ Z
        self.b_ += Z.T @ y
        self.coef_ = np.linalg.solve(self.A_, self.b_)
        return self

    def predict(self, X):
        return np.hstack([X, np.ones((len(X), 1))]) @ self.coef_


def test_base_estimator_path_uses_the_same_meta_learner():
    X, y, sf = _data(300)
    ours = GroupwiseRegretRegressor(alpha=2.0)
    a = ours.partial_fit_predict(X, y, sensitive_features=sf)
    plug = GroupwiseRegretRegressor(base_estimator=_NumpyOnlineRidge(alpha=2.0))
    b = plug.partial_fit_predict(X, y, sensitive_features=sf)
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.regret_, plug.regret_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.predict(X[:20], sensitive_features=sf[:20]),
                               plug.predict(X[:20], sensitive_features=sf[:20]), rtol=1e-8)
    assert len(plug.experts_) == len(plug.group_names_)
    with pytest.raises(AttributeError):
        plug.coef_


def test_y_range_clips_and_scales():
    X, y, sf = _data()
    # labels in the millions: the hedge sees losses scaled into [0, 1], state stays finite,
    # and every prediction stays inside the running label range
    yy = y * 1e6 + 3e6
    est = GroupwiseRegretRegressor()
    b = est.partial_fit_predict(X, yy, sensitive_features=sf)
    assert np.all(np.isfinite(b)) and np.all(np.isfinite(est.regret_))
    assert np.all(np.abs(est.regret_) <= est.abs_regret_ + 1e-9)
    assert b[1:].min() >= yy.min() - 1e-6 and b[1:].max() <= yy.max() + 1e-6
    est = GroupwiseRegretRegressor(y_range=(0.2, 0.3)).fit(X, y, sensitive_features=sf)
    p = est.predict(X, sensitive_features=sf)
    assert p.min() >= 0.2 - 1e-12 and p.max() <= 0.3 + 1e-12   # a mixture of clipped values


def test_learns_groupwise_structure_better_than_the_baseline():
    d = make_groupwise_regression(6000, 10, random_state=0)
    Xz = np.hstack([d.data, d.groups.to_numpy(float)])
    ours = GroupwiseRegretRegressor(y_range=(0, 1)).partial_fit_predict(
        Xz, d.target, groups=d.groups)
    base = GroupIndicatorRidgeRegressor(y_range=(0, 1)).partial_fit_predict(
        d.data, d.target, groups=d.groups)
    r_ours = groupwise_regret(d.target, ours, Xz, groups=d.groups)
    r_base = groupwise_regret(d.target, base, Xz, groups=d.groups)
    end_ours = r_ours.groupby("group")["regret"].last()
    end_base = r_base.groupby("group")["regret"].last()
    assert (end_ours < end_base).all(), (end_ours, end_base)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, err, match", [
    (dict(alpha=0.0), ValueError, "alpha"),
    (dict(alpha="1"), TypeError, "alpha"),
    (dict(groups="every"), ValueError, "groups must be"),
    (dict(grouping="every"), ValueError, "grouping must be"),
    (dict(grouping=None), ValueError, "grouping must be"),
    (dict(y_range=(1.0, 0.0)), ValueError, "y_range"),
    (dict(y_range=3), ValueError, "y_range"),
    (dict(include_always_on="yes"), TypeError, "include_always_on"),
    (dict(base_estimator=StandardScaler()), TypeError, "base_estimator"),
    (dict(fit_intercept=1), TypeError, "fit_intercept"),
])
def test_bad_hyper_parameters(params, err, match):
    X, y, sf = _data(20)
    with pytest.raises(err, match=match):
        GroupwiseRegretRegressor(**params).fit(X, y, sensitive_features=sf)


def test_bad_chunks_raise_and_leave_the_state_unchanged():
    X, y, sf = _data(100)
    est = GroupwiseRegretRegressor().fit(X[:50], y[:50], sensitive_features=sf[:50])
    snapshot = pickle.dumps(est)
    X_nan = X[50:].copy()
    X_nan[3, 1] = np.nan
    member, _ = _member(sf)
    bad = [
        (dict(X=X_nan, y=y[50:], sensitive_features=sf[50:]), ValueError, "NaN"),
        (dict(X=X[50:], y=np.full(50, np.inf), sensitive_features=sf[50:]), ValueError, "y"),
        (dict(X=X[50:], y=y[50:], sensitive_features=sf[50:70]), ValueError, "rows"),
        (dict(X=X[50:], y=y[50:], sensitive_features=sf[50:][["sex"]]), ValueError, "columns"),
        (dict(X=X[50:], y=y[50:]), ValueError, "sensitive_features"),
        (dict(X=X[50:], y=y[50:], sensitive_features=sf[50:], groups=member[50:]), ValueError,
         "not both"),
        (dict(X=X[50:], y=y[50:], groups=member[50:]), ValueError, "sensitive_features"),
        (dict(X=X[50:, :3], y=y[50:], sensitive_features=sf[50:]), ValueError, "features"),
        (dict(X=X[50:], y=np.column_stack([y[50:], y[50:]]), sensitive_features=sf[50:]), ValueError, "1-D"),
    ]
    for kwargs, err, match in bad:
        kw = dict(kwargs)
        with pytest.raises(err, match=match):
            est.partial_fit(kw.pop("X"), kw.pop("y"), **kw)
        assert pickle.dumps(est) == snapshot
    # empty chunk: a no-op once fitted
    est.partial_fit(X[:0], y[:0], sensitive_features=sf[:0])
    assert pickle.dumps(est) == snapshot


@pytest.mark.parametrize("groups, match", [
    (np.ones(10), "2-D"),
    (np.full((10, 2), 0.5), "0/1"),
    (np.array([["a", "b"]] * 10), "booleans"),
    (np.ones((9, 2)), "rows"),
    (np.ones((10, 0)), "at least one"),
    (pd.DataFrame({"g": [1.0] * 9 + [np.nan]}), "missing"),
])
def test_bad_membership_matrix(groups, match):
    X, y, _ = _data(10)
    with pytest.raises(ValueError, match=match):
        GroupwiseRegretRegressor().fit(X, y, groups=groups)


def test_fitted_with_sensitive_features_then_groups_without_first_call():
    X, y, sf = _data(40)
    est = GroupwiseRegretRegressor().fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="first call"):
        est.partial_fit(X[20:], y[20:], sensitive_features=sf[20:])
    with pytest.raises(sklearn.exceptions.NotFittedError):
        GroupwiseRegretRegressor().predict(X)


def test_metadata_routing_in_a_pipeline():
    X, y, sf = _data(200)
    with sklearn.config_context(enable_metadata_routing=True):
        est = GroupwiseRegretRegressor().set_fit_request(sensitive_features=True)
        est.set_predict_request(sensitive_features=True)
        pipe = make_pipeline(StandardScaler(), est).fit(X, y, sensitive_features=sf)
        pred = pipe.predict(X, sensitive_features=sf)
    direct = GroupwiseRegretRegressor().fit(StandardScaler().fit_transform(X), y,
                                            sensitive_features=sf)
    np.testing.assert_allclose(pred, direct.predict(StandardScaler().fit_transform(X),
                                                    sensitive_features=sf))


def test_baseline_grows_exactly_when_a_group_appears():
    X, y, sf = _data(300)
    sf2 = sf.copy()
    sf2.loc[150:, "race"] = np.where(np.arange(150) % 3 == 0, "new", sf2.loc[150:, "race"])
    est = GroupIndicatorRidgeRegressor(alpha=0.5)
    est.partial_fit(X[:150], y[:150], sensitive_features=sf2[:150])
    est.partial_fit(X[150:], y[150:], sensitive_features=sf2[150:])
    member, names = _member(sf2, always_on=False)
    Z = np.hstack([X, np.ones((300, 1)), member])
    batch = np.linalg.solve(0.5 * np.eye(Z.shape[1]) + Z.T @ Z, Z.T @ y)
    assert est.group_names_ == names
    np.testing.assert_allclose(est.coef_, batch, rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------------------------
# regret accounting
# --------------------------------------------------------------------------------------------
def test_groupwise_regret_end_values_equal_direct_lstsq():
    X, y, sf = _data(800, seed=3)
    pred = GroupwiseRegretRegressor().partial_fit_predict(X, y, sensitive_features=sf)
    curves = groupwise_regret(y, pred, X, sensitive_features=sf)
    member, names = _member(sf)
    end = curves.groupby("group").last()
    for g, name in enumerate(names):
        rows = member[:, g]
        Z = np.hstack([X[rows], np.ones((rows.sum(), 1))])
        coef, *_ = np.linalg.lstsq(Z, y[rows], rcond=None)
        sse = np.sum((Z @ coef - y[rows]) ** 2)
        assert end.loc[name, "hindsight_loss"] == pytest.approx(sse, rel=1e-8)
        learner = np.sum((pred[rows] - y[rows]) ** 2)
        assert end.loc[name, "regret"] == pytest.approx(learner - sse, rel=1e-8, abs=1e-10)
        assert end.loc[name, "n_group_rounds"] == rows.sum()
    # every round kept by default, curves are in round order per group
    assert len(curves) == member.sum()
    sub = groupwise_regret(y, pred, X, sensitive_features=sf, n_points=10)
    assert sub.groupby("group").size().max() <= 10
    np.testing.assert_allclose(sub.groupby("group")["regret"].last().sort_index(),
                               end["regret"].sort_index())


def test_groupwise_regret_sample_loss_and_errors():
    X, y, sf = _data(100)
    est = GroupwiseRegretRegressor()
    pred = est.partial_fit_predict(X, y, sensitive_features=sf)
    a = groupwise_regret(y, pred, X, sensitive_features=sf, sample_loss=est.last_hedge_loss_)
    b = groupwise_regret(y, pred, X, sensitive_features=sf)
    assert (a["learner_loss"] >= b["learner_loss"] - 1e-12).all()     # Jensen
    with pytest.raises(ValueError, match="n_points"):
        groupwise_regret(y, pred, X, sensitive_features=sf, n_points=0)
    with pytest.raises(ValueError, match="y_pred"):
        groupwise_regret(y, pred[:-1], X, sensitive_features=sf)
    with pytest.raises(ValueError, match="No group"):
        groupwise_regret(y, pred, X, include_always_on=False)


def test_hindsight_loss_with_rank_deficient_one_hot_features():
    rng = np.random.default_rng(9)
    n = 500
    cat = rng.integers(0, 4, n)
    X = np.column_stack([np.eye(4)[cat], rng.uniform(size=n).round(1), np.full(n, 0.3)])
    y = rng.integers(0, 2, n).astype(float)
    member = np.column_stack([np.ones(n, bool), cat == 1, rng.random(n) < 0.3])
    out = hindsight_loss(X, y, member)
    for g in range(3):
        rows = member[:, g]
        Z = np.hstack([X[rows], np.ones((rows.sum(), 1))])
        coef, *_ = np.linalg.lstsq(Z, y[rows], rcond=None)
        assert out[-1, g] == pytest.approx(np.sum((Z @ coef - y[rows]) ** 2), rel=1e-8)



@pytest.mark.parametrize("cls", [GroupwiseRegretRegressor, GroupIndicatorRidgeRegressor])
@pytest.mark.parametrize("old, new", [(None, "pairs"), ("pairs", "pairs"),
                                      ("intersections", "intersections"), ("both", "both")])
def test_groups_constructor_argument_was_renamed_grouping_and_still_works(cls, old, new):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] + rng.normal(scale=0.1, size=60)
    sf = np.column_stack([rng.choice(["a", "b"], 60), rng.choice(["u", "v"], 60)])
    with pytest.warns(FutureWarning, match=f"renamed grouping.*grouping={new!r}"):
        old_style = cls(groups=old).fit(X, y, sensitive_features=sf)
    expected = cls(grouping=new).fit(X, y, sensitive_features=sf)
    assert old_style.group_names_ == expected.group_names_
    np.testing.assert_array_equal(old_style.predict(X, sensitive_features=sf),
                                  expected.predict(X, sensitive_features=sf))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        cls(grouping=new).fit(X, y, sensitive_features=sf)  # the new name: no warning


@pytest.mark.parametrize("make", [GroupwiseRegretRegressor, GroupIndicatorRidgeRegressor])
def test_pickle_of_before_the_counter_array_loads(make):
    """n_samples_seen_ is counted in an array the event kernels update with the state; a pickle
    that stored it as an int still loads, and learns on as the model it was."""
    rng = np.random.default_rng(0)
    X, y, sf = rng.normal(size=(30, 2)), rng.normal(size=30), rng.choice(["a", "b"], 30)
    est = make().partial_fit(X[:20], y[:20], sensitive_features=sf[:20])
    state = est.__getstate__()
    state["n_samples_seen_"] = int(state.pop("_samples_seen_")[0])
    old = make.__new__(make)
    old.__setstate__(state)
    assert old.n_samples_seen_ == 20 and "n_samples_seen_" not in vars(old)
    for model in (est, old):
        model.partial_fit(X[20:], y[20:], sensitive_features=sf[20:])
    assert old.n_samples_seen_ == 30
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(old)).predict(
        X, sensitive_features=sf), est.predict(X, sensitive_features=sf))
