"""The dcov-compas experiment: grid, one quick point, the report's files."""

import pandas as pd

from fairlearn_online.experiments import get_experiment


def test_dcov_compas_quick_point_and_report(tmp_path):
    exp = get_experiment("dcov-compas")
    points = exp.grid(True, 1)
    assert {p["penalty"] for p in points} == {"none", "ccdcov"}
    full = exp.grid(False, 5)
    assert {p["penalty"] for p in full} == {"none", "dcov", "jdcov", "ccdcov"}
    assert len(full) == 5 * (1 + 3 * 6)
    rows = []
    for point in points:
        row = exp.run_point(point)["results"][0]
        assert 0.5 < row["accuracy"] < 0.8 and 0.5 < row["auc"] < 0.85
        assert row["jsd"] >= 0 and 0 <= row["uf"] <= 1
        rows.append({**point, **row})
    by = {r["penalty"]: r for r in rows}
    assert by["ccdcov"]["ccdcov_test"] < by["none"]["ccdcov_test"]
    exp.report({"results": pd.DataFrame(rows)}, tmp_path, True)
    assert (tmp_path / "frontier_accuracy_jsd.png").exists()
    assert (tmp_path / "frontier_accuracy_jsd.svg").exists()
    assert "ccdcov" in (tmp_path / "summary.md").read_text()
