"""``fairlearn-online monitor``: numbers against fairlearn, bad input, missing rows reported."""

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm

from fairlearn_online.cli import main


def _log(path, n=6000, seed=0, labels=("no", "yes")):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"y": np.asarray(labels)[rng.integers(0, 2, n)],
                       "p": np.asarray(labels)[(rng.random(n) < 0.4).astype(int)],
                       "sex": rng.choice(["f", "m"], n), "extra": rng.normal(size=n)})
    df.to_csv(path, index=False)
    return df


def test_monitor_matches_fairlearn(tmp_path, capsys):
    df = _log(tmp_path / "log.csv")
    df.loc[[3, 50, 51], "p"] = np.nan
    df.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "out"
    code = main(["monitor", str(tmp_path / "log.csv"), "--y-true", "y", "--y-pred", "p",
                 "--sensitive", "sex", "--window", "1000", "--every", "700", "--chunk-size",
                 "999", "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert "3 of 6000 rows have a missing value" in captured.err
    table = pd.read_csv(out / "metrics.csv")
    assert table["row"].tolist() == list(range(700, 5997, 700)) + [5997]
    clean = df.dropna()
    pos = "yes"
    for _, row in table.iterrows():
        seen = clean.iloc[: int(row["row"])]
        last = seen.iloc[-1000:]
        assert row["dp_difference_cumulative"] == pytest.approx(flm.demographic_parity_difference(
            seen["y"] == pos, seen["p"] == pos, sensitive_features=seen["sex"]), abs=1e-12)
        assert row["dp_difference_window"] == pytest.approx(flm.demographic_parity_difference(
            last["y"] == pos, last["p"] == pos, sensitive_features=last["sex"]), abs=1e-12)
        assert row["dp_lower"] <= row["dp_difference_window"] <= row["dp_upper"]
        assert row["count[f]"] + row["count[m]"] == min(1000, int(row["row"]))
    summary = json.loads((out / "run.json").read_text())
    assert summary["rows_with_missing_values"] == 3 and summary["pos_label"] == "yes"
    assert (out / "monitor.png").exists() and (out / "monitor.svg").exists()
    assert list(pd.read_csv(out / "alarms.csv").columns) == ["row", "groups", "direction",
                                                             "statistic"]


def test_monitor_numeric_labels_written_as_floats(tmp_path):
    df = _log(tmp_path / "log.csv", labels=(0, 1))
    df["p"] = df["p"].astype(float)  # 0.0 / 1.0 beside 0 / 1: one label each
    df.to_csv(tmp_path / "log.csv", index=False)
    assert main(["monitor", str(tmp_path / "log.csv"), "--y-true", "y", "--y-pred", "p",
                 "--sensitive", "sex", "--window", "500", "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "run.json").read_text())["pos_label"] == 1.0


@pytest.mark.parametrize("case, message", [
    ("missing_column", "has no column 'race'"),
    ("empty", "is empty"),
    ("header_only", "no data rows"),
    ("non_binary", "non-binary labels"),
    ("bad_window", "--window must be a positive integer"),
    ("no_file", "no such file"),
    ("bad_pos_label", "--pos-label"),
])
def test_monitor_bad_input(tmp_path, capsys, case, message):
    path = tmp_path / "log.csv"
    _log(path, n=300)
    args = ["--y-true", "y", "--y-pred", "p", "--sensitive", "sex", "--window", "100"]
    if case == "missing_column":
        args[5] = "race"
    elif case == "empty":
        path.write_text("")
    elif case == "header_only":
        path.write_text("y,p,sex\n")
    elif case == "non_binary":
        df = pd.read_csv(path)
        df.loc[7, "y"] = "maybe"
        df.to_csv(path, index=False)
    elif case == "bad_window":
        args[-1] = "0"
    elif case == "no_file":
        path = tmp_path / "nope.csv"
    elif case == "bad_pos_label":
        args += ["--pos-label", "perhaps"]
    code = main(["monitor", str(path), *args, "--out", str(tmp_path / "out")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing half-written
