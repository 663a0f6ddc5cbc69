"""StreamingMetricFrame against fairlearn's MetricFrame on the rows it covers (1e-12)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error

from fairlearn_online.metrics import StreamingMetricFrame

BINARY = {"accuracy": accuracy_score, "selection_rate": flm.selection_rate,
          "true_positive_rate": flm.true_positive_rate,
          "false_positive_rate": flm.false_positive_rate,
          "true_negative_rate": flm.true_negative_rate,
          "false_negative_rate": flm.false_negative_rate, "count": flm.count}
REGRESSION = {"mean_prediction": flm.mean_prediction, "mean_squared_error": mean_squared_error,
              "mean_absolute_error": mean_absolute_error, "count": flm.count}


def _stream(n, seed, *, intersectional=False, late_group=True, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    y = rng.choice(labels, n)
    p = rng.choice(labels, n)
    sex = rng.choice(["f", "m"], n, p=[0.3, 0.7])
    if late_group:  # a group that appears only in the second half
        sex[n // 2:][rng.random(n - n // 2) < 0.2] = "x"
    if intersectional:
        race = rng.choice(["a", "b", "c"], n)
        sf = pd.DataFrame({"sex": sex, "race": race})
    else:
        sf = pd.Series(sex, name="sex")
    w = rng.uniform(0.1, 3.0, n)
    return y, p, sf, w


def _chunks(n, rng):
    bounds, i = [0], 0
    while i < n:
        i = min(n, i + int(rng.choice([0, 1, 1, 7, 50, 333])))
        bounds.append(i)
    return list(zip(bounds[:-1], bounds[1:]))


def _feed(frame, y, p, sf, w, seed, *, weighted):
    rng = np.random.default_rng(seed + 100)
    for a, b in _chunks(len(y), rng):
        part = sf.iloc[a:b]
        sw = w[a:b] if weighted else None
        if b - a == 1 and rng.random() < 0.7:  # one event as scalars
            label = tuple(part.iloc[0]) if isinstance(part, pd.DataFrame) else part.iloc[0]
            frame.update(y[a], p[a], sensitive_features=label,
                         sample_weight=None if sw is None else float(sw[0]))
        else:
            frame.update(y[a:b], p[a:b], sensitive_features=part, sample_weight=sw)
    return frame


def _assert_like_fairlearn(frame, y, p, sf, w, metrics):
    ref = flm.MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf,
                          **({} if w is None else {"sample_params": {
                              k: {"sample_weight": w} for k in metrics if k != "count"}}))
    ours = frame.by_group
    expected = ref.by_group.dropna(how="all")
    got = ours.dropna(how="all")
    assert list(got.index) == list(expected.index)
    pd.testing.assert_frame_equal(got[expected.columns], expected.astype(float), rtol=0,
                                  atol=1e-12, check_dtype=False, check_names=False,
                                  check_index_type=False)
    pd.testing.assert_series_equal(frame.overall[expected.columns], ref.overall.astype(float),
                                   rtol=0, atol=1e-12, check_names=False,
                                   check_index_type=False)
    for method in ("between_groups", "to_overall"):
        np.testing.assert_allclose(frame.difference(method)[expected.columns],
                                   ref.difference(method), rtol=0, atol=1e-12)
        np.testing.assert_allclose(frame.ratio(method)[expected.columns], ref.ratio(method),
                                   rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame.group_min()[expected.columns], ref.group_min(), atol=1e-12)
    np.testing.assert_allclose(frame.group_max()[expected.columns], ref.group_max(), atol=1e-12)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("intersectional", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_cumulative_equals_metricframe(seed, intersectional, weighted):
    y, p, sf, w = _stream(1500, seed, intersectional=intersectional)
    frame = _feed(StreamingMetricFrame(list(BINARY)), y, p, sf, w, seed, weighted=weighted)
    _assert_like_fairlearn(frame, y, p, sf, w if weighted else None, BINARY)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("window", [1, 37, 400])
@pytest.mark.parametrize("weighted", [False, True])
def test_window_equals_metricframe_on_last_rows(seed, window, weighted):
    y, p, sf, w = _stream(1200, seed, intersectional=seed == 1)
    frame = StreamingMetricFrame(list(BINARY), window=window)
    rng = np.random.default_rng(seed)
    done = 0
    for a, b in _chunks(len(y), rng):
        frame.update(y[a:b], p[a:b], sensitive_features=sf.iloc[a:b],
                     sample_weight=w[a:b] if weighted else None)
        done = b
        if rng.random() < 0.02 or b == len(y):
            lo = max(0, done - window)
            _assert_like_fairlearn(frame, y[lo:done], p[lo:done], sf.iloc[lo:done],
                                   w[lo:done] if weighted else None, BINARY)


def test_window_group_empty_in_window_is_nan():
    frame = StreamingMetricFrame(["selection_rate", "count"], window=3)
    frame.update([1, 0, 1, 1], [1, 0, 0, 1], sensitive_features=["a", "b", "b", "b"])
    table = frame.by_group
    assert np.isnan(table.loc["a"]).all()
    assert table.loc["b", "count"] == 3
    assert frame.difference()["selection_rate"] == 0.0  # NaN group skipped as in fairlearn


@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("decay", [0.9, 0.999])
@pytest.mark.parametrize("weighted", [False, True])
def test_decay_equals_metricframe_with_age_weights(seed, decay, weighted):
    y, p, sf, w = _stream(900, seed, intersectional=seed == 2)
    frame = _feed(StreamingMetricFrame(list(BINARY), decay=decay), y, p, sf, w, seed,
                  weighted=weighted)
    age = np.arange(len(y) - 1, -1, -1)
    weights = decay ** age * (w if weighted else 1.0)
    _assert_like_fairlearn(frame, y, p, sf, weights, BINARY)


@pytest.mark.parametrize("kind", [{}, {"window": 50}, {"decay": 0.99}])
def test_regression_metrics(kind):
    rng = np.random.default_rng(3)
    n = 700
    y, p = rng.normal(size=n), rng.normal(size=n)
    sf = pd.Series(rng.choice(["a", "b", "c"], n), name="g")
    frame = StreamingMetricFrame(list(REGRESSION), **kind)
    for a in range(0, n, 64):
        frame.update(y[a:a + 64], p[a:a + 64], sensitive_features=sf.iloc[a:a + 64])
    lo = n - kind.get("window", n)
    w = kind["decay"] ** np.arange(n - 1, -1, -1) if "decay" in kind else None
    _assert_like_fairlearn(frame, y[lo:], p[lo:], sf.iloc[lo:], w, REGRESSION)


def test_string_labels_and_pos_label():
    y = np.array([">50K", "<=50K", ">50K", "<=50K"])
    p = np.array([">50K", ">50K", "<=50K", "<=50K"])
    frame = StreamingMetricFrame("selection_rate", pos_label=">50K")
    frame.update(y, p, sensitive_features=["a", "a", "b", "b"])
    ref = flm.MetricFrame(metrics=flm.selection_rate, y_true=y, y_pred=p,
                          sensitive_features=["a", "a", "b", "b"],
                          sample_params={"pos_label": ">50K"})
    assert frame.overall == ref.overall
    pd.testing.assert_series_equal(frame.by_group, ref.by_group, check_names=False,
                                   check_index_type=False)
    assert frame.difference() == ref.difference() == 1.0


def test_single_metric_shapes_match_fairlearn():
    y, p, sf, _ = _stream(300, 0, late_group=False)
    frame = StreamingMetricFrame(flm.selection_rate)
    frame.update(y, p, sensitive_features=sf)
    ref = flm.MetricFrame(metrics=flm.selection_rate, y_true=y, y_pred=p, sensitive_features=sf)
    assert isinstance(frame.overall, float) and isinstance(frame.difference(), float)
    assert isinstance(frame.by_group, pd.Series)
    assert frame.difference() == pytest.approx(ref.difference(), abs=1e-12)
    named = StreamingMetricFrame({"sr": "selection_rate", "acc": accuracy_score})
    named.update(y, p, sensitive_features=sf)
    assert list(named.by_group.columns) == ["sr", "acc"]


def _split_and_merge(frames_updates, kind):
    out = None
    for y, p, sf in frames_updates:
        f = StreamingMetricFrame(["selection_rate", "true_positive_rate", "count"], **kind)
        if len(y):
            f.update(y, p, sensitive_features=sf)
        out = f if out is None else out + f
    return out


@pytest.mark.parametrize("kind", [{}, {"window": 120}, {"decay": 0.995}])
def test_merge_equals_one_pass(kind):
    y, p, sf, _ = _stream(1000, 5, intersectional=True)
    whole = StreamingMetricFrame(["selection_rate", "true_positive_rate", "count"], **kind)
    whole.update(y, p, sensitive_features=sf)
    cuts = [0, 10, 300, 301, 301, 777, 1000]
    merged = _split_and_merge([(y[a:b], p[a:b], sf.iloc[a:b])
                               for a, b in zip(cuts[:-1], cuts[1:])], kind)
    pd.testing.assert_frame_equal(merged.by_group, whole.by_group, rtol=0, atol=1e-12)
    pd.testing.assert_series_equal(merged.overall, whole.overall, rtol=0, atol=1e-12)
    assert merged.n_rows_seen_ == 1000


def test_merge_rejects_different_frames():
    a = StreamingMetricFrame("selection_rate", window=3)
    with pytest.raises(ValueError, match="window"):
        a + StreamingMetricFrame("selection_rate")
    with pytest.raises(TypeError, match="StreamingMetricFrame"):
        a.merge(3)


def test_bad_input_changes_nothing():
    frame = StreamingMetricFrame(["selection_rate", "count"])
    frame.update([1, 0], [1, 1], sensitive_features=["a", "b"])
    before = frame.by_group.copy()
    with pytest.raises(ValueError, match="sensitive_features"):
        frame.update([1, 0], [1, 1], sensitive_features=["a"])
    with pytest.raises(ValueError, match="sensitive_features"):
        frame.update([1, 0], [1, 1], sensitive_features=["a", None])
    with pytest.raises(ValueError, match="y_pred"):
        frame.update([1, 0], [1], sensitive_features=["a", "c"])
    with pytest.raises(ValueError, match="y_true"):
        frame.update([np.nan, 0.0], [1, 1], sensitive_features=["a", "c"])
    with pytest.raises(ValueError, match="sample_weight"):
        frame.update([1, 0], [1, 1], sensitive_features=["a", "c"], sample_weight=[1, -1])
    with pytest.raises(ValueError, match="sensitive_features"):
        frame.update(1, 1, sensitive_features=None)
    with pytest.raises(ValueError, match="sensitive_features"):
        frame.update(1, 1, sensitive_features=float("nan"))
    with pytest.raises(ValueError, match="columns"):
        frame.update(1, 1, sensitive_features=("a", "b"))
    with pytest.raises(ValueError, match="y_true"):
        frame.update(float("nan"), 1, sensitive_features="a")
    pd.testing.assert_frame_equal(frame.by_group, before)
    assert frame.groups_ == ["a", "b"]
    frame.update([], [], sensitive_features=[])  # an empty chunk is a no-op
    pd.testing.assert_frame_equal(frame.by_group, before)
    with pytest.raises(ValueError, match="No rows"):
        StreamingMetricFrame().by_group
    with pytest.raises(ValueError, match="window"):
        StreamingMetricFrame(window=0)
    with pytest.raises(ValueError, match="decay"):
        StreamingMetricFrame(decay=1.5)
    with pytest.raises(ValueError, match="not both"):
        StreamingMetricFrame(window=3, decay=0.5)
    with pytest.raises(ValueError, match="unknown streaming metric"):
        StreamingMetricFrame("auc")
    with pytest.raises(AttributeError):
        frame.window = 5  # parameters are fixed at construction


def test_one_event_dict_and_pickle():
    frame = StreamingMetricFrame(["selection_rate", "count"], window=5)
    frame.update([1, 0], [1, 0], sensitive_features=pd.DataFrame({"sex": ["f", "m"],
                                                                  "race": ["a", "b"]}))
    frame.update(1, 1, sensitive_features={"race": "a", "sex": "f"})
    assert frame.by_group.loc[("f", "a"), "count"] == 2
    again = pickle.loads(pickle.dumps(frame))
    pd.testing.assert_frame_equal(again.by_group, frame.by_group)


def test_numpy_integer_and_categorical_groups_match_strings():
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    codes = rng.integers(0, 3, 500)
    as_int = StreamingMetricFrame("selection_rate").update(y, p, sensitive_features=codes)
    as_cat = StreamingMetricFrame("selection_rate").update(
        y, p, sensitive_features=pd.Series(pd.Categorical(codes, categories=[0, 1, 2, 7])))
    as_list = StreamingMetricFrame("selection_rate").update(y, p,
                                                            sensitive_features=list(codes))
    pd.testing.assert_series_equal(as_int.by_group, as_list.by_group, check_names=False)
    pd.testing.assert_series_equal(as_cat.by_group, as_list.by_group, check_names=False)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
def test_new_batch_and_streaming_metrics_match_fairlearn(seed, method):
    from fairlearn_online import metrics as M

    y, p, sf, w = _stream(800, seed, intersectional=seed == 1)
    for ours, theirs, kwargs in [
        (M.equalized_odds_ratio, flm.equalized_odds_ratio, {"agg": "worst_case"}),
        (M.equalized_odds_ratio, flm.equalized_odds_ratio, {"agg": "mean"}),
        (M.equal_opportunity_difference, flm.equal_opportunity_difference, {}),
        (M.equal_opportunity_ratio, flm.equal_opportunity_ratio, {}),
    ]:
        expected = theirs(y, p, sensitive_features=sf, method=method, sample_weight=w, **kwargs)
        got = ours(y, p, sensitive_features=sf, method=method, sample_weight=w, **kwargs)
        assert got == pytest.approx(expected, abs=1e-12), ours.__name__
    stream = M.EqualOpportunityDifference(method=method)
    for a in range(0, 800, 100):
        stream.update(y[a:a + 100], p[a:a + 100], sf.iloc[a:a + 100])
    assert stream.get() == pytest.approx(
        flm.equal_opportunity_difference(y, p, sensitive_features=sf, method=method), abs=1e-12)


def test_selection_rate_accepts_scalars_like_fairlearn():
    from fairlearn_online.metrics import selection_rate

    for yt, yp in [(1, 1), (0, 1), (1, 0), (0, 0)]:
        assert selection_rate(yt, yp) == flm.selection_rate(yt, yp)


def _partition_frame(part, kind):
    frame = StreamingMetricFrame(["selection_rate", "true_positive_rate", "count"], **kind)
    if len(part):
        frame.update(part["y"].to_numpy(), part["p"].to_numpy(),
                     sensitive_features=part[["sex", "race"]])
    return frame


def _tree_merge(frames):
    """Pairwise reduction that keeps stream order (left partition first)."""
    import dask

    while len(frames) > 1:
        pairs = [dask.delayed(lambda a, b: a + b)(frames[i], frames[i + 1])
                 for i in range(0, len(frames) - 1, 2)]
        frames = pairs + ([frames[-1]] if len(frames) % 2 else [])
    return frames[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", [{}, {"window": 500}, {"decay": 0.999}])
def test_dask_local_cluster_equals_one_process(kind):
    import dask
    from distributed import Client, LocalCluster

    y, p, sf, _ = _stream(5000, 9, intersectional=True)
    df = pd.DataFrame({"y": y, "p": p, "sex": sf["sex"], "race": sf["race"]})
    whole = _partition_frame(df, kind)
    # seven partitions in stream order (as a dask.dataframe's, which needs pyarrow)
    cuts = [0, 1, 700, 1500, 1501, 3000, 4200, 5000]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        parts = [dask.delayed(_partition_frame)(df.iloc[a:b], kind)
                 for a, b in zip(cuts[:-1], cuts[1:])]
        merged = _tree_merge(parts).compute()
    pd.testing.assert_frame_equal(merged.by_group, whole.by_group, rtol=0, atol=1e-12)
    assert merged.n_rows_seen_ == 5000
