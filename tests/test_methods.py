"""The one method catalog of the classification experiments (experiments/_methods.py)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sklearn.base import clone

from fairlearn_online.experiments import _methods, aranyani, baselines, frontier
from fairlearn_online.plotting.styles import METHOD_STYLES, canonical_name


def test_names_are_kebab_case_and_styled():
    for name in _methods.METHODS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        assert canonical_name(name) in METHOD_STYLES, f"{name} has no plotting style"


def test_every_experiment_method_is_in_the_catalog():
    used = (set(aranyani.FAIR_METHODS) | set(aranyani.PLAIN_METHODS) | set(frontier.PLAIN_METHODS)
            | set(baselines.METHODS))
    assert used <= set(_methods.METHODS)


@pytest.mark.parametrize("name", sorted(_methods.METHODS))
def test_each_method_makes_a_fresh_estimator(name):
    entry = _methods.METHODS[name]
    if entry.requires is not None:
        pytest.importorskip(entry.requires[0])
    a = _methods.make_estimator(name, 0.5, 3, dataset="compas")
    b = _methods.make_estimator(name, 0.5, 3, dataset="compas")
    assert a is not b and type(a) is type(b)
    assert a.get_params() == clone(a).get_params()
    if entry.fair:
        assert a.get_params()["fairness_weight"] == 0.5
    if "random_state" in a.get_params():
        assert a.get_params()["random_state"] == 3


def test_protocol_and_dataset_reach_the_estimator():
    assert _methods.make_estimator("aranyani", 1.0, 0, "paper").wait_for_groups == "always"
    assert _methods.make_estimator("aranyani", 1.0, 0).wait_for_groups == "when_penalized"
    assert _methods.make_estimator("faht", dataset="adult").protected_group == "Female"
    assert _methods.make_estimator("faht", dataset="compas").protected_group == "non-White"


def test_unknown_and_badly_named_methods():
    with pytest.raises(ValueError, match="unknown method 'svm'"):
        _methods.make_estimator("svm")
    with pytest.raises(ValueError, match="kebab-case"):
        _methods.method("my_method")
    with pytest.raises(ValueError, match="already"):
        _methods.method("majority")(lambda *args: None)


def test_importing_the_experiments_keeps_the_matplotlib_backend():
    code = ("import matplotlib; matplotlib.use('svg'); import fairlearn_online.experiments as e;"
            "import importlib, pkgutil;"
            "[importlib.import_module('fairlearn_online.experiments.' + m.name)"
            " for m in pkgutil.iter_modules(e.__path__)];"
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"
