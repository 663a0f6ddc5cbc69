"""Run the docstring examples of every module of the installed package."""

import doctest
import importlib
import pkgutil

import pytest

import fairlearn_online

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(fairlearn_online.__path__, "fairlearn_online.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.failed == 0, f"{result.failed} failing docstring examples in {name}"
