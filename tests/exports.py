"""The library's exported names, found the same way by every test that checks all of them:
the ``__all__`` of ``fairlearn_online`` and of every public module below it, at any depth (a
module is public when no part of its dotted name starts with an underscore)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import fairlearn_online


def public_modules():
    """The dotted names of ``fairlearn_online`` and its public modules, sorted."""
    found = pkgutil.walk_packages(fairlearn_online.__path__, "fairlearn_online.")
    return ["fairlearn_online"] + sorted(
        m.name for m in found if not any(part.startswith("_") for part in m.name.split(".")[1:]))


def exported():
    """``(qualified name, object)`` of every exported class and callable, each object once
    (under the first module that exports it), sorted by name."""
    seen = {}
    for name in public_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) or callable(obj):
                seen.setdefault(id(obj), (f"{name}.{attr}", obj))
    return sorted(seen.values(), key=lambda item: item[0])
