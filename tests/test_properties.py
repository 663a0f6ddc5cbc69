"""Property-based tests (hypothesis) for the statistics and the streaming metrics."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fairlearn_online import metrics as M
from fairlearn_online.dcov import distance_correlation, distance_covariance

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def paired_samples(draw, min_n=4, max_n=25):
    n = draw(st.integers(min_n, max_n))
    p = draw(st.integers(1, 3))
    q = draw(st.integers(1, 3))
    x = draw(arrays(np.float64, (n, p), elements=finite))
    y = draw(arrays(np.float64, (n, q), elements=finite))
    return x, y


def _rotation(dim, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q


@SETTINGS
@given(paired_samples(), st.integers(0, 1000))
def test_dcov_v_statistic_nonnegative_symmetric_and_invariant(sample, seed):
    x, y = sample
    v = distance_covariance(x, y, unbiased=False)
    scale = max(1.0, np.abs(x).max() * np.abs(y).max())
    assert v >= -1e-9 * scale
    assert distance_covariance(y, x, unbiased=False) == pytest.approx(v, rel=1e-9, abs=1e-9 * scale)
    u = distance_covariance(x, y, unbiased=True)
    assert distance_covariance(y, x, unbiased=True) == pytest.approx(u, rel=1e-9, abs=1e-9 * scale)
    shift = np.random.default_rng(seed).normal(size=x.shape[1]) * 10
    rotated = (x + shift) @ _rotation(x.shape[1], seed)
    assert distance_covariance(rotated, y, unbiased=False) == pytest.approx(
        v, rel=1e-6, abs=1e-8 * scale)
    assert distance_covariance(rotated, y, unbiased=True) == pytest.approx(
        u, rel=1e-6, abs=1e-8 * scale)


@SETTINGS
@given(paired_samples())
def test_dcor_in_unit_interval(sample):
    x, y = sample
    r = distance_correlation(x, y)
    assert -1e-12 <= r <= 1 + 1e-12
    spread = np.ptp(x, axis=0).max()
    # dCov2(x, x) is a mean of squared distances: below ~1e-150 it underflows in float64
    assume(spread == 0 or spread > 1e-150)
    assert distance_correlation(x, x) == pytest.approx(1.0) or spread == 0


@st.composite
def labelled_stream(draw):
    n = draw(st.integers(1, 80))
    y_true = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    y_pred = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    race = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    sex = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    cuts = draw(st.lists(st.integers(0, n), max_size=8))
    return y_true, y_pred, race, sex, sorted(cuts)


@SETTINGS
@given(labelled_stream(), st.booleans())
def test_streaming_metrics_equal_batch_for_any_chunking(stream, intersectional):
    y_true, y_pred, race, sex, cuts = stream
    sf = pd.DataFrame({"race": race, "sex": sex}) if intersectional else pd.Series(race)
    metrics = [M.DemographicParityDifference(), M.DemographicParityRatio(),
               M.EqualizedOddsDifference(), M.Accuracy(), M.FairnessReport()]
    bounds = [0, *cuts, len(y_true)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        for metric in metrics:
            metric.update(y_true[start:stop], y_pred[start:stop], sf.iloc[start:stop])
    kw = dict(sensitive_features=sf)
    batch = [M.demographic_parity_difference(y_true, y_pred, **kw),
             M.demographic_parity_ratio(y_true, y_pred, **kw),
             M.equalized_odds_difference(y_true, y_pred, **kw),
             float(np.mean(y_true == y_pred))]
    for metric, expected in zip(metrics[:4], batch):
        assert metric.get() == pytest.approx(expected, abs=1e-12, nan_ok=True)
    report = metrics[4].get()
    assert report["demographic_parity_difference"] == pytest.approx(batch[0], abs=1e-12)
    assert report["equalized_odds_difference"] == pytest.approx(batch[2], abs=1e-12)
