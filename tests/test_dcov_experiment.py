"""The dcov-compas experiment: grid, one quick point, the report's files."""

import pandas as pd

from fairlearn_online.experiments import get_experiment


def test_dcov_compas_quick_point_and_report(tmp_path, monkeypatch):
    import fairlearn_online.experiments.dcov as dcov
    from fairlearn_online.utils import save_figure

    texts = []

    def keep_texts(fig, path):
        texts.extend(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
        return save_figure(fig, path)

    monkeypatch.setattr(dcov, "save_figure", keep_texts)
    exp = get_experiment("dcov-compas")
    points = exp.grid(True, 1)
    # the quick run draws every penalty's panel, each with more than one lambda
    assert {p["penalty"] for p in points} == {"none", "dcov", "jdcov", "ccdcov"}
    assert all(len({p["fairness_weight"] for p in points if p["penalty"] == pen}) >= 2
               for pen in ("dcov", "jdcov", "ccdcov"))
    full = exp.grid(False, 5)
    assert {p["penalty"] for p in full} == {"none", "dcov", "jdcov", "ccdcov"}
    assert len(full) == 5 * (1 + 3 * 6)
    rows = []
    for point in points:
        row = exp.run_point(point)["results"][0]
        assert 0.5 < row["accuracy"] < 0.8 and 0.5 < row["auc"] < 0.85
        assert row["jsd"] >= 0 and 0 <= row["uf"] <= 1
        rows.append({**point, **row})
    by = {r["penalty"]: r for r in rows if r["fairness_weight"] in (0.0, 20.0)}
    assert by["ccdcov"]["ccdcov_test"] < by["none"]["ccdcov_test"]
    exp.report({"results": pd.DataFrame(rows)}, tmp_path, True)
    assert (tmp_path / "frontier_accuracy_jsd.png").exists()
    assert (tmp_path / "frontier_accuracy_jsd.svg").exists()
    assert "ccdcov" in (tmp_path / "summary.md").read_text()
    assert {"dCov penalty", "JdCov penalty", "CCdCov penalty", "no penalty"} <= set(texts)
    assert not any("lambda sweep" in t or t.endswith(": ccdcov") for t in texts)
