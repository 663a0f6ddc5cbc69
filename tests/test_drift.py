"""FairnessDriftDetector: false alarms on stationary streams, delay after a known gap jump."""

import numpy as np
import pytest

from fairlearn_online.metrics import FairnessDriftDetector


def _stream(n, seed, change=None, gap=0.1, base=0.4):
    """Two groups of equal size; the DP gap jumps from 0 to ``gap`` at ``change``."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b"], n)
    rate = np.full(n, base)
    if change is not None:
        post = np.arange(n) >= change
        rate = rate + np.where(post, np.where(g == "a", gap / 2, -gap / 2), 0.0)
    return (rng.random(n) < rate).astype(int), g


def _run(y_pred, g, chunk=10_000, **kwargs):
    detector = FairnessDriftDetector(**kwargs)
    fired = [detector.update(None, y_pred[a:a + chunk], sensitive_features=g[a:a + chunk])
             for a in range(0, len(y_pred), chunk)]
    assert sum(fired) == len(detector.alarms_) or len(detector.alarms_) > sum(fired)
    return detector


def test_no_alarm_on_stationary_streams_quick():
    alarms = [bool(_run(*_stream(200_000, s)).alarms_) for s in range(10)]
    assert sum(alarms) <= 1


def test_common_shift_of_every_group_is_not_an_alarm():
    rng = np.random.default_rng(0)
    n = 200_000
    g = rng.choice(["a", "b"], n)
    rate = np.where(np.arange(n) >= 100_000, 0.6, 0.3)  # both groups move together
    assert not _run((rng.random(n) < rate).astype(int), g).alarms_


def test_gap_jump_detected_within_5000_events_quick():
    delays = []
    for s in range(10):
        detector = _run(*_stream(150_000, 100 + s, change=100_000))
        after = [a["n_samples"] - 100_000 for a in detector.alarms_ if a["n_samples"] > 100_000]
        delays.append(after[0] if after else np.inf)
        if after:
            alarm = [a for a in detector.alarms_ if a["n_samples"] > 100_000][0]
            assert set(alarm["groups"]) <= {"a", "b"} and alarm["groups"]
    assert np.median(delays) <= 5000, delays


@pytest.mark.slow
def test_false_alarms_and_delay_targets():
    alarms = [bool(_run(*_stream(10**6, s)).alarms_) for s in range(100)]
    assert np.mean(alarms) <= 0.05
    delays = []
    for s in range(50):
        det = _run(*_stream(300_000, 500 + s, change=200_000))
        after = [a["n_samples"] - 200_000 for a in det.alarms_ if a["n_samples"] > 200_000]
        delays.append(after[0] if after else np.inf)
    assert np.median(delays) <= 5000


def test_chunking_does_not_change_alarms():
    y_pred, g = _stream(60_000, 3, change=40_000)
    by_chunk = _run(y_pred, g, chunk=10_000).alarms_
    rng = np.random.default_rng(0)
    detector = FairnessDriftDetector()
    a = 0
    while a < len(y_pred):
        b = a + int(rng.choice([1, 17, 499, 500, 3333]))
        if b - a == 1:
            detector.update(None, int(y_pred[a]), sensitive_features=g[a])
        else:
            detector.update(None, y_pred[a:b], sensitive_features=g[a:b])
        a = b
    assert detector.alarms_ == by_chunk and by_chunk


def test_true_positive_rate_needs_labels_and_bad_input():
    detector = FairnessDriftDetector("true_positive_rate")
    with pytest.raises(ValueError, match="needs y_true"):
        detector.update(None, [1, 0], sensitive_features=["a", "b"])
    with pytest.raises(ValueError, match="sensitive_features"):
        detector.update([1, 0], [1, 0], sensitive_features=["a"])
    with pytest.raises(ValueError, match="y_true"):
        detector.update([1], [1, 0], sensitive_features=["a", "b"])
    assert detector.n_samples_seen_ == 0 and detector.groups_ == []
    assert detector.update([1, 0], [1, 0], sensitive_features=["a", "b"]) is False
    with pytest.raises(ValueError, match="metric"):
        FairnessDriftDetector("auc")
    with pytest.raises(ValueError, match="batch_size"):
        FairnessDriftDetector(batch_size=0)
    with pytest.raises(TypeError, match="threshold"):
        FairnessDriftDetector(threshold="high")


def test_fairness_drift_experiment_point_and_report(tmp_path):
    import pandas as pd

    from fairlearn_online.experiments import fairness_drift as exp

    point = {"stream": "abrupt", "seed": 0, "n_samples": 40_000}
    tables = exp.run_point(point)
    result = tables["results"][0]
    assert result["detected"] and 0 < result["delay"] <= 10_000
    assert result["false_alarms_before_change"] == 0
    # the cumulative DP lags the windowed one after the change: the drift it hides
    assert result["final_windowed_dp"] > result["final_cumulative_dp"] + 0.05
    frames = {name: pd.DataFrame([{**row, **point} for row in rows])
              for name, rows in tables.items()}
    exp.report(frames, tmp_path, True)
    assert (tmp_path / "fairness_drift.png").exists() and (tmp_path / "summary.csv").exists()
