"""Every exported name (``__all__`` of fairlearn_online and of its public subpackages) has a
numpydoc ``Parameters`` section naming each of its parameters, and every function a
``Returns`` (or ``Yields``) section."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

import fairlearn_online

MODULES = ["fairlearn_online"] + [
    f"fairlearn_online.{m.name}" for m in pkgutil.iter_modules(fairlearn_online.__path__)
    if not m.name.startswith("_")]


def _exported():
    seen = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                seen.setdefault(id(obj), (f"{name}.{attr}", obj))
    return sorted(seen.values(), key=lambda item: item[0])


EXPORTED = _exported()


def _parameters(obj):
    if inspect.isclass(obj):
        if obj.__init__ is object.__init__:
            return []
        signature = inspect.signature(obj.__init__)
    else:
        signature = inspect.signature(obj)
    return [p.name for p in signature.parameters.values()
            if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def test_the_exports_are_found():
    names = {qual for qual, _ in EXPORTED}
    assert len(names) > 100
    assert {"fairlearn_online.AranyaniClassifier", "fairlearn_online.metrics.selection_rate",
            "fairlearn_online.baselines.MajorityClassClassifier"} <= names


@pytest.mark.parametrize("qual,obj", EXPORTED, ids=[q for q, _ in EXPORTED])
def test_numpydoc_parameters_and_returns(qual, obj):
    doc = ClassDoc(obj) if inspect.isclass(obj) else FunctionDoc(obj)
    documented = {n.strip().lstrip("*") for p in doc["Parameters"] for n in p.name.split(",")}
    missing = [p for p in _parameters(obj) if p not in documented]
    assert not missing, f"{qual}: parameters without a numpydoc entry: {missing}"
    if not inspect.isclass(obj):
        assert doc["Returns"] or doc["Yields"], f"{qual}: no numpydoc Returns section"
