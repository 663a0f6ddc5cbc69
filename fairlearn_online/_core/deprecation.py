"""Names that moved: the old import path keeps working, with a ``DeprecationWarning``."""

from __future__ import annotations

import importlib
import warnings

__all__ = ["moved_names"]


def moved_names(old_module, moved):
    """A module ``__getattr__`` (PEP 562) serving names that moved to another module.

    Parameters
    ----------
    old_module : str
        Dotted name of the module the names were in (the one that installs the hook).
    moved : dict of str to str
        ``name -> dotted name of the module that defines it now``.

    Returns
    -------
    getattr : callable
        ``getattr(name)``: the object, after a ``DeprecationWarning`` naming the new path;
        ``AttributeError`` for any other name.
    """

    def __getattr__(name):
        new_module = moved.get(name)
        if new_module is None:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        warnings.warn(f"{old_module}.{name} moved to {new_module}.{name}; the old path will be "
                      f"removed.", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new_module), name)

    return __getattr__
