import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm

from fairlearn_online import metrics as M


def _random_case(rng, n, n_groups, intersectional):
    y_true = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    if intersectional:
        sf = pd.DataFrame({"race": rng.choice(["a", "b", "c"][:n_groups], n),
                           "sex": rng.choice(["F", "M"], n)})
    else:
        sf = pd.Series(rng.choice([f"g{i}" for i in range(n_groups)], n), name="grp")
    return y_true, y_pred, sf


CASES = [(2, False), (3, False), (3, True)]


@pytest.mark.parametrize("n_groups,intersectional", CASES)
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
def test_batch_metrics_equal_fairlearn(n_groups, intersectional, method):
    rng = np.random.default_rng(n_groups + 10 * intersectional)
    for n in (5, 37, 500):
        y_true, y_pred, sf = _random_case(rng, n, n_groups, intersectional)
        w = rng.uniform(0.1, 2.0, n)
        for weights in (None, w):
            kw = dict(sensitive_features=sf, method=method, sample_weight=weights)
            assert M.demographic_parity_difference(y_true, y_pred, **kw) == pytest.approx(
                flm.demographic_parity_difference(y_true, y_pred, **kw), abs=1e-12, nan_ok=True)
            assert M.demographic_parity_ratio(y_true, y_pred, **kw) == pytest.approx(
                flm.demographic_parity_ratio(y_true, y_pred, **kw), abs=1e-12, nan_ok=True)
            for agg in ("worst_case", "mean"):
                assert M.equalized_odds_difference(y_true, y_pred, agg=agg, **kw) == pytest.approx(
                    flm.equalized_odds_difference(y_true, y_pred, agg=agg, **kw), abs=1e-12)


@pytest.mark.parametrize("n_groups,intersectional", CASES)
def test_by_group_equals_metricframe(n_groups, intersectional):
    rng = np.random.default_rng(7)
    y_true, y_pred, sf = _random_case(rng, 300, n_groups, intersectional)
    ours = M.metrics_by_group(y_true, y_pred, sensitive_features=sf)
    frame = flm.MetricFrame(
        metrics={"accuracy": lambda t, p: float(np.mean(t == p)),
                 "selection_rate": flm.selection_rate,
                 "true_positive_rate": flm.true_positive_rate,
                 "false_positive_rate": flm.false_positive_rate,
                 "count": flm.count},
        y_true=y_true, y_pred=y_pred, sensitive_features=sf)
    theirs = frame.by_group
    assert list(ours.index) == list(theirs.index)
    for col in ours.columns:
        np.testing.assert_allclose(ours[col].to_numpy(float), theirs[col].to_numpy(float),
                                   atol=1e-12)


@pytest.mark.parametrize("n_groups,intersectional", CASES)
def test_streaming_equals_fairlearn_for_any_chunking(n_groups, intersectional):
    rng = np.random.default_rng(11)
    y_true, y_pred, sf = _random_case(rng, 1000, n_groups, intersectional)
    report = M.FairnessReport()
    dp = M.DemographicParityDifference()
    eo = M.EqualizedOddsDifference()
    ratio = M.DemographicParityRatio()
    acc = M.Accuracy()
    start = 0
    while start < len(y_true):
        stop = min(len(y_true), start + int(rng.integers(0, 90)))  # includes empty chunks
        part = sf.iloc[start:stop]
        for metric in (report, dp, eo, ratio, acc):
            metric.update(y_true[start:stop], y_pred[start:stop], part)
        start = stop
    kw = dict(sensitive_features=sf)
    assert dp.get() == pytest.approx(flm.demographic_parity_difference(y_true, y_pred, **kw), abs=1e-12)
    assert ratio.get() == pytest.approx(flm.demographic_parity_ratio(y_true, y_pred, **kw), abs=1e-12)
    assert eo.get() == pytest.approx(flm.equalized_odds_difference(y_true, y_pred, **kw), abs=1e-12)
    assert acc.get() == pytest.approx(np.mean(y_true == y_pred), abs=1e-12)
    values = report.get()
    assert values["demographic_parity_difference"] == pytest.approx(dp.get(), abs=1e-12)
    assert values["equalized_odds_difference"] == pytest.approx(eo.get(), abs=1e-12)
    selection = flm.MetricFrame(metrics=flm.selection_rate, y_true=y_true, y_pred=y_pred,
                                sensitive_features=sf).by_group
    for group, rate in selection.items():
        key = ",".join(map(str, group)) if isinstance(group, tuple) else str(group)
        assert values[f"selection_rate[{key}]"] == pytest.approx(rate, abs=1e-12)


def test_streaming_selection_and_rates_by_group():
    sel = M.SelectionRateByGroup().update([0, 1, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"])
    assert sel.get().to_dict() == {"a": 1.0, "b": 0.0}
    tpr = M.TruePositiveRateByGroup().update([0, 1, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"])
    assert tpr.get().to_dict() == {"a": 1.0, "b": 0.0}
    fpr = M.FalsePositiveRateByGroup().update([0, 1, 1, 0], [1, 1, 0, 0], ["a", "a", "b", "b"])
    assert fpr.get().to_dict() == {"a": 1.0, "b": 0.0}
    # an unseen group mid-stream joins the statistics
    sel.update([1], [1], ["c"])
    assert sel.get().to_dict() == {"a": 1.0, "b": 0.0, "c": 1.0}


def test_single_group_and_string_labels():
    assert M.demographic_parity_difference([0, 1], [1, 0], sensitive_features=["x", "x"]) == 0.0
    y = np.array(["no", "yes", "yes", "no"])
    assert M.demographic_parity_difference(y, y, sensitive_features=[1, 1, 2, 2],
                                           pos_label="yes") == 0.0


def test_bad_input_gives_clear_errors_and_keeps_state():
    metric = M.DemographicParityDifference().update([0, 1], [1, 1], ["a", "b"])
    before = metric.get()
    with pytest.raises(ValueError, match="y_pred"):
        metric.update([0, 1, 1], [1, 1], ["a", "b", "a"])
    with pytest.raises(ValueError, match="sensitive_features"):
        metric.update([0, 1], [1, 1], ["a"])
    with pytest.raises(ValueError, match="sensitive_features"):
        metric.update([0, 1], [1, 1], ["a", None])
    with pytest.raises(ValueError, match="y_true"):
        metric.update([0.0, np.nan], [1, 1], ["a", "b"])
    with pytest.raises(ValueError, match="sample_weight"):
        metric.update([0, 1], [1, 1], ["a", "b"], sample_weight=[1.0, -1.0])
    assert metric.get() == before
    assert metric.counts.counts_.shape[0] == 2
    with pytest.raises(ValueError, match="No samples"):
        M.DemographicParityDifference().get()
    with pytest.raises(ValueError, match="method"):
        M.DemographicParityDifference(method="worst")
    with pytest.raises(ValueError, match="agg"):
        M.EqualizedOddsDifference(agg="max")
