"""The command line: --version, --out checked before any computation, atomic results folders,
progress lines in logs, methods skipped for a missing extra reported."""

import json
import subprocess
import sys

import pytest

from fairlearn_online import __version__, cli
from fairlearn_online.experiments import Experiment, available_methods, register, run_experiment


def _grid(quick, seeds):
    methods = available_methods(["plain", "needs-extra"],
                                requires={"needs-extra": ("no_such_module_for_tests", "baselines")})
    return [{"method": m, "seed": s} for m in methods for s in range(seeds)]


def _run_point(point):
    return {"results": [{"value": point["seed"]}]}


_FAIL_IN_REPORT = {"with": None}
_REPORTS_DRAWN = []


def _draw_figure(out_dir):
    _REPORTS_DRAWN.append(1)
    (out_dir / "figure.png").write_bytes(b"figure %d" % len(_REPORTS_DRAWN))


def _report(tables, out_dir, quick):
    (out_dir / "summary.md").write_text(f"{len(tables['results'])} rows, report "
                                        f"{len(_REPORTS_DRAWN)}\n")
    _draw_figure(out_dir)
    if _FAIL_IN_REPORT["with"] is not None:
        raise _FAIL_IN_REPORT["with"]


register(Experiment(name="_cli-test", description="toy", grid=_grid, run_point=_run_point,
                    report=_report, default_seeds=3, quick_seeds=1))


def _run_cli(*args):
    """The console script in a child process; also says whether scikit-learn got imported."""
    code = ("import sys; from fairlearn_online import cli; rc = cli.main(sys.argv[1:]); "
            "print('sklearn imported' if 'sklearn' in sys.modules else 'light', file=sys.stderr); "
            "sys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def test_version():
    proc = subprocess.run([sys.executable, "-m", "fairlearn_online.cli", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"fairlearn-online {__version__}"


@pytest.mark.parametrize("case", ["file", "under_file", "foreign_folder", "unwritable"])
def test_bad_out_is_rejected_in_one_line_before_any_import_or_computation(tmp_path, case):
    afile = tmp_path / "afile"
    afile.write_text("x")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a run")
    out = {"file": afile, "under_file": afile / "results", "foreign_folder": foreign,
           "unwritable": "/proc/fairlearn-online-results"}[case]
    proc = _run_cli("run", "adult-frontier", "--quick", "--out", str(out))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("fairlearn-online: error: --out: output folder ")
    assert lines[1:] == ["light"], proc.stderr  # one line; nothing heavy was imported
    assert "Traceback" not in proc.stderr
    assert (foreign / "notes.txt").read_text() == "not a run"


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), OSError(28, "No space left on device")],
                         ids=["ctrl-c", "disk-full"])
def test_a_failed_report_leaves_the_previous_results_untouched(tmp_path, capsys, failure):
    out = tmp_path / "results"
    assert cli.main(["run", "_cli-test", "--out", str(out), "--no-progress"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"results.csv", "summary.md", "figure.png", "run.json"}
    _FAIL_IN_REPORT["with"] = failure
    try:
        code = cli.main(["run", "_cli-test", "--seeds", "1", "--out", str(out), "--no-progress"])
    finally:
        _FAIL_IN_REPORT["with"] = None
    assert code == (130 if isinstance(failure, KeyboardInterrupt) else 2)
    err = [line for line in capsys.readouterr().err.splitlines()
           if not line.startswith("_cli-test: skipping")]
    assert len(err) == 1 and err[0].startswith("fairlearn-online: "), err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no staging folder left


def test_a_finished_run_replaces_the_previous_one_as_a_whole(tmp_path):
    out = tmp_path / "results"
    run_experiment("_cli-test", out=out, progress=False)
    (out / "stale_figure.png").write_bytes(b"old")
    run_experiment("_cli-test", out=out, seeds=1, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["figure.png", "results.csv", "run.json",
                                                     "summary.md"]
    assert json.loads((out / "run.json").read_text())["seeds"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


@pytest.mark.parametrize("when", ["figure", "after"])
def test_interrupted_report_command_leaves_the_previous_results_untouched(tmp_path, capsys,
                                                                          monkeypatch, when):
    """``fairlearn-online report NAME --out DIR`` redraws into a copy that replaces DIR."""
    out = tmp_path / "results"
    assert cli.main(["run", "_cli-test", "--out", str(out), "--no-progress"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    if when == "figure":
        def figure_then_ctrl_c(out_dir):
            (out_dir / "figure.png").write_bytes(b"half a figure")
            raise KeyboardInterrupt

        monkeypatch.setattr(sys.modules[__name__], "_draw_figure", figure_then_ctrl_c)
    else:
        _FAIL_IN_REPORT["with"] = KeyboardInterrupt()
    try:
        assert cli.main(["report", "_cli-test", "--out", str(out)]) == 130
    finally:
        _FAIL_IN_REPORT["with"] = None
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no staging folder left
    monkeypatch.undo()
    capsys.readouterr()
    assert cli.main(["report", "_cli-test", "--out", str(out)]) == 0  # and it redraws
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(after) == set(before) and after["summary.md"] != before["summary.md"]
    assert after["run.json"] == before["run.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_progress_lines_off_a_terminal_and_skipped_methods_reported(tmp_path, capsys):
    out = tmp_path / "results"
    run_experiment("_cli-test", out=out, seeds=2)  # stderr is not a terminal under pytest
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("_cli-test: skipping method needs-extra: no_such_module_for_tests is not "
                      "installed (pip install 'fairlearn_online[baselines]')")
    progress = [line for line in err[1:] if line.startswith("_cli-test: ")]
    assert len(progress) == 2
    assert progress[0].startswith("_cli-test: 1/2 method=plain seed=0 ")
    assert progress[0].endswith(" s")
    meta = json.loads((out / "run.json").read_text())
    assert meta["skipped_methods"] == [{"method": "needs-extra",
                                        "missing": "no_such_module_for_tests",
                                        "install": "pip install 'fairlearn_online[baselines]'"}]
