import json

import pandas as pd
import pytest

from fairlearn_online import cli
from fairlearn_online.experiments import Experiment, get_experiment, list_experiments, register
from fairlearn_online.experiments import run_experiment


def _grid(quick, seeds):
    return [{"method": m, "seed": s} for m in ("a", "b") for s in range(seeds)]


def _run_point(point):
    value = point["seed"] + (10 if point["method"] == "b" else 0)
    return {"results": [{"value": value}], "curves": [{"t": t, "v": value * t} for t in range(3)]}


def _report(tables, out_dir, quick):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fairlearn_online.utils import save_figure

    fig, ax = plt.subplots()
    ax.plot(tables["results"]["value"])
    save_figure(fig, out_dir / "values")


register(Experiment(name="_toy-test", description="toy", grid=_grid, run_point=_run_point,
                    report=_report, default_seeds=3, quick_seeds=1))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_runner_writes_tidy_tables_and_figures(tmp_path, n_jobs):
    tables = run_experiment("_toy-test", n_jobs=n_jobs, out=tmp_path, progress=False)
    results = pd.read_csv(tmp_path / "results.csv")
    assert len(results) == 6 and set(results.columns) >= {"method", "seed", "value", "seconds"}
    assert sorted(results["value"]) == [0, 1, 2, 10, 11, 12]
    assert len(pd.read_csv(tmp_path / "curves.csv")) == 18
    assert (tmp_path / "values.png").exists() and (tmp_path / "values.svg").exists()
    assert json.loads((tmp_path / "run.json").read_text())["n_points"] == 6
    assert set(tables) == {"results", "curves"}


def test_report_redraws_a_finished_run_from_its_csv_tables(tmp_path, capsys):
    run_experiment("_toy-test", out=tmp_path, progress=False)
    assert json.loads((tmp_path / "run.json").read_text())["tables"] == ["curves", "results"]
    for figure in tmp_path.glob("values.*"):
        figure.unlink()
    meta = (tmp_path / "run.json").read_text()
    assert cli.main(["report", "_toy-test", "--out", str(tmp_path)]) == 0
    assert "curves, results" in capsys.readouterr().out
    assert (tmp_path / "values.png").exists() and (tmp_path / "values.svg").exists()
    assert (tmp_path / "run.json").read_text() == meta
    # a run of another experiment, or a folder without the tables, is refused
    assert cli.main(["report", "adult-baselines", "--out", str(tmp_path)]) == 2
    assert "not of 'adult-baselines'" in capsys.readouterr().err
    (tmp_path / "curves.csv").unlink()
    assert cli.main(["report", "_toy-test", "--out", str(tmp_path)]) == 2
    assert "missing: curves" in capsys.readouterr().err
    assert cli.main(["report", "_toy-test", "--out", str(tmp_path / "empty")]) == 2


def test_runner_errors(tmp_path):
    with pytest.raises(ValueError, match="Unknown experiment"):
        get_experiment("nope")
    with pytest.raises(ValueError, match="backend"):
        run_experiment("_toy-test", backend="spark", out=tmp_path)
    with pytest.raises(ValueError, match="seeds"):
        run_experiment("_toy-test", seeds=0, out=tmp_path)
    with pytest.raises(ValueError, match="already registered"):
        register(get_experiment("_toy-test"))


def test_cli_list_and_run(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "adult-baselines" in listed
    assert {e.name for e in list_experiments()} >= {"adult-baselines", "_toy-test"}
    assert cli.main(["run", "_toy-test", "--quick", "--out", str(tmp_path)]) == 0
    assert "results: 2 rows" in capsys.readouterr().out
    assert cli.main(["run", "does-not-exist", "--out", str(tmp_path)]) == 2


def test_adult_baselines_point_runs_on_a_prefix():
    from fairlearn_online.experiments.baselines import run_point

    tables = run_point({"method": "majority", "seed": 0, "n_samples": 3000})
    assert tables["results"][0]["n_samples"] == 3000
    assert 0.7 < tables["results"][0]["accuracy"] < 0.8


def test_dask_backend_runs_the_same_sweep(tmp_path):
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        import test_runner  # registers the toy experiment
        from fairlearn_online.experiments import run_experiment
        if __name__ == "__main__":
            run_experiment("_toy-test", backend="dask", n_jobs=2, out=sys.argv[2],
                           progress=False)
    """)
    path = tmp_path / "run_dask.py"
    path.write_text(script)
    subprocess.run([sys.executable, str(path), str(Path(__file__).parent), str(tmp_path / "out")],
                   check=True, timeout=300)
    local = run_experiment("_toy-test", out=tmp_path / "local", progress=False)["results"]
    remote = pd.read_csv(tmp_path / "out" / "results.csv")
    key = ["method", "seed", "value"]
    pd.testing.assert_frame_equal(
        remote[key].sort_values(key).reset_index(drop=True),
        local[key].sort_values(key).reset_index(drop=True), check_dtype=False)
