"""numba's cache location on read-only installs, and the one-line compile notice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fairlearn_online._core import jit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_user_cache_dir(monkeypatch):
    """The rules below NUMBA_CACHE_DIR's: the developer's own NUMBA_CACHE_DIR is set aside."""
    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", "")


def test_read_only_package_falls_back_to_a_user_cache_dir(tmp_path, no_user_cache_dir):
    writable = {str(tmp_path / "cache" / "fairlearn_online" / "numba")}
    kind, path = jit.choose_location(writable=lambda p: str(p) in writable,
                                     environ={"XDG_CACHE_HOME": str(tmp_path / "cache"),
                                              "HOME": "/nonexistent"})
    assert (kind, path) == ("fallback", str(tmp_path / "cache" / "fairlearn_online" / "numba"))


def test_then_the_temporary_directory_then_no_cache(tmp_path, no_user_cache_dir):
    import tempfile

    kind, path = jit.choose_location(
        writable=lambda p: str(p).startswith(tempfile.gettempdir()) and "numba-" in str(p),
        environ={"HOME": "/nonexistent"})
    assert kind == "fallback" and "fairlearn_online-numba-" in path
    assert jit.choose_location(writable=lambda p: False, environ={}) == ("none", None)


def test_writable_package_keeps_numbas_in_tree_cache(no_user_cache_dir):
    kind, _ = jit.choose_location(writable=lambda p: True, environ={})
    assert kind in ("in-tree", "user")


def _run(code, env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_import_and_fit_without_any_writable_cache_dir(tmp_path):
    """No writable directory at all (simulated through the locator's writability probe,
    since the test may run as root): import works, one warning, kernels run uncached."""
    code = """
        import importlib.util, sys, warnings
        # load the cache module first (the package's import runs configure()) and patch it
        spec = importlib.util.spec_from_file_location(
            "fairlearn_online._core.jit", "fairlearn_online/_core/jit.py")
        jit = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = jit
        spec.loader.exec_module(jit)
        jit._writable = lambda path: False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fairlearn_online.regret  # its kernels configure the cache
        assert jit.cache_location() == ("none", None), jit.cache_location()
        assert sum("no writable directory" in str(w.message) for w in caught) == 1
        import numpy as np
        from fairlearn_online.regret._kernels import ridge_chunk
        assert ridge_chunk._cache.__class__.__name__ == "NullCache"
        print("ok")
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": ""}
    env.pop("NUMBA_CACHE_DIR")
    out = _run(code, env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write to read-only directories")
def test_import_from_a_read_only_copy_with_unwritable_home(tmp_path):
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(ROOT / "fairlearn_online", copy / "fairlearn_online",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for root, dirs, files in os.walk(copy):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(copy, 0o555)
    env = {**os.environ, "PYTHONPATH": str(copy), "HOME": "/nonexistent",
           "XDG_CACHE_HOME": "/nonexistent", "TMPDIR": str(tmp_path / "tmp")}
    env.pop("NUMBA_CACHE_DIR", None)
    os.makedirs(tmp_path / "tmp")
    out = _run("import fairlearn_online.forest; from fairlearn_online._core import jit; "
               "print(jit.cache_location()[0])", env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "fallback"


def test_compile_notice_once_on_stderr(tmp_path):
    """A fresh cache directory: the first compilation says so once; a warm cache says nothing."""
    code = """
        import numpy as np
        from fairlearn_online import GroupIndicatorRidgeRegressor
        X = np.random.default_rng(0).normal(size=(30, 2))
        est = GroupIndicatorRidgeRegressor().fit(X, X[:, 0], sensitive_features=X[:, 1] > 0)
        est.predict(X, sensitive_features=X[:, 1] > 0)
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path / "c")}
    cold = _run(code, env)
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count("compiling numba kernels") == 1, cold.stderr
    assert str(tmp_path / "c") in cold.stderr
    warm = _run(code, env)
    assert warm.returncode == 0 and "compiling numba kernels" not in warm.stderr, warm.stderr


def test_every_module_with_cached_kernels_configures_the_cache_before_them():
    """numba picks the cache location when it decorates a ``cache=True`` function: a kernel
    module imported first (e.g. by unpickling a FAHT model in a fresh process) must call
    ``configure`` before its first kernel, or a read-only install fails with numba's
    "cannot cache function ...: no locator available"."""
    missing = []
    for path in sorted((ROOT / "fairlearn_online").rglob("*.py")):
        text = path.read_text()
        first_kernel = text.find("cache=True")
        if first_kernel < 0 or path.name == "jit.py":
            continue
        call = text.find("_configure_cache()")
        if call < 0 or call > first_kernel:
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []
