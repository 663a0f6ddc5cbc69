"""Every exported name (``__all__`` of fairlearn_online and of every public module below it,
``tests/exports.py``) has a numpydoc ``Parameters`` section naming each of its parameters, and
every function a ``Returns`` (or ``Yields``) section."""

from __future__ import annotations

import inspect

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc

from exports import exported, public_modules  # tests/exports.py

EXPORTED = exported()


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
    # nested public modules too, not only the subpackages of fairlearn_online
    assert "fairlearn_online.plotting.styles" in public_modules()
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
