"""``precompile`` / ``fairlearn-online compile``: the kernels real data asks for come out of the
cache it fills (no compilation left), every streaming estimator is covered, bad names fail
before anything is imported."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from exports import exported

from sklearn.base import BaseEstimator

from fairlearn_online import precompile as pc

ROOT = Path(__file__).resolve().parent.parent

# a real stream after the precompilation: every fairlearn_online kernel compiled is counted
_REAL_USE = """
    import numpy as np
    from numba.core import event
    compiled = []
    class Count(event.Listener):
        def on_start(self, ev):
            name = ev.data["dispatcher"].py_func.__module__
            if name.startswith("fairlearn_online."):
                compiled.append(ev.data["dispatcher"].py_func.__name__)
        def on_end(self, ev):
            pass
    event.register("numba:compile", Count())
    from fairlearn_online.datasets import load_stream
    import fairlearn_online.baselines as b, fairlearn_online.forest as f
    X, y, g = load_stream("adult", random_state=0)
    X, y, g = X[:300], y[:300], g[:300]
    from sklearn.base import is_classifier
    est = {cls}
    target = y if is_classifier(est) else y.astype(float)
    est.fit(X, target, sensitive_features=g)
    est.partial_fit(X[:50], target[:50], sensitive_features=g[:50])
    kw = {{"sensitive_features": g}} if est._event_predict_uses_groups else {{}}
    est.predict(X, **kw)
    x = {{f"x{{j}}": v for j, v in enumerate(X[0])}}
    one = est.__class__(**est.get_params())
    one.learn_one(x, target[0].item(), sensitive_features=g[0],
                  **({{"classes": [0, 1]}} if is_classifier(est) else {{}}))
    one.learn_one(x, target[0].item(), sensitive_features=g[0])
    one.predict_one(x, sensitive_features=g[0])
    print("compiled:", sorted(set(compiled)))
"""


def _run(code, cache):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    return out


def _precompile_then_use(tmp_path, names, estimator, n_jobs=None):
    cache = tmp_path / "cache"
    _run(f"from fairlearn_online.precompile import precompile; "
         f"precompile({names!r}, n_jobs={n_jobs!r})", cache)
    return _run(_REAL_USE.format(cls=estimator), cache).stdout.strip().splitlines()[-1]


def test_real_use_after_precompile_compiles_nothing(tmp_path):
    """The ridge baseline (a second to compile): the kernels of a fit, partial_fit, predict
    and events on Adult rows all come from the cache that ``precompile`` filled."""
    assert _precompile_then_use(tmp_path, ["GroupIndicatorRidgeRegressor"],
                                "b.GroupIndicatorRidgeRegressor()") == "compiled: []"


def test_without_precompile_the_same_use_compiles(tmp_path):
    """The counter above sees compilations (the test above is not vacuous)."""
    line = _run(_REAL_USE.format(cls="b.GroupIndicatorRidgeRegressor()"),
                tmp_path / "cache").stdout.strip().splitlines()[-1]
    assert line != "compiled: []" and "ridge" in line, line


@pytest.mark.slow
def test_aranyani_after_precompile_compiles_nothing(tmp_path):
    """The issue's configuration (3 trees, depth 4, lambda = 10) after ``precompile``."""
    assert _precompile_then_use(
        tmp_path, ["AranyaniClassifier"],
        "f.AranyaniClassifier(n_trees=3, depth=4, fairness_weight=10.0, random_state=0)"
    ) == "compiled: []"


def test_precompile_in_parallel_fills_the_same_cache(tmp_path):
    """Two processes, one class each: what they cache is what real use asks for."""
    assert _precompile_then_use(
        tmp_path, ["MajorityClassClassifier", "GroupIndicatorRidgeRegressor"],
        "b.GroupIndicatorRidgeRegressor()", n_jobs=2) == "compiled: []"


def test_precompile_reports_every_variant_in_order_whatever_the_processes():
    names = ["MajorityClassClassifier", "GroupIndicatorRidgeRegressor"]
    serial = pc.precompile(names, progress=False)
    parallel = pc.precompile(names, progress=False, n_jobs=2)
    assert list(serial) == list(parallel) == names
    assert all(s >= 0 for s in parallel.values())


@pytest.mark.parametrize("n_jobs,error,match", [
    (0, ValueError, "n_jobs must be a positive int or -1"),
    (-2, ValueError, "n_jobs must be a positive int or -1"),
    (1.5, TypeError, "n_jobs must be an int or None"),
    (True, TypeError, "n_jobs must be an int or None")])
def test_bad_n_jobs(n_jobs, error, match):
    with pytest.raises(error, match=match):
        pc.precompile(["MajorityClassClassifier"], n_jobs=n_jobs)
    assert pc.check_n_jobs(None) == 1 and pc.check_n_jobs(-1) >= 1


def test_every_streaming_estimator_is_precompiled():
    """Every exported estimator with ``learn_one`` (not the mixins, not the river adapter,
    which has no kernel of its own)."""
    streaming = {obj.__name__ for _, obj in exported()
                 if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                 and hasattr(obj, "learn_one") and not obj.__name__.endswith("Mixin")
                 and obj.__name__ != "RiverClassifier"}
    assert streaming == set(pc._VARIANTS)


def test_bad_estimator_names():
    with pytest.raises(ValueError, match=r"estimators: unknown \['Forest'\]"):
        pc.precompile(["Forest"])
    with pytest.raises(TypeError, match="estimators must be a list of class names"):
        pc.precompile("AranyaniClassifier")
    assert pc.check_estimators(None) == list(pc._VARIANTS)


def test_cli_rejects_an_unknown_name_before_importing_estimators():
    code = ("import sys; from fairlearn_online.cli import main; rc = main(['compile', 'Foo']); "
            "print(rc, 'sklearn' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["2", "False", "False"], out.stdout + out.stderr
    assert "estimators: unknown ['Foo']" in out.stderr
    code = code.replace("'Foo'", "'MajorityClassClassifier', '--jobs', '0'")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["2", "False", "False"], out.stdout + out.stderr
    assert "--jobs must be a positive int or -1 (every CPU), got 0." in out.stderr
