"""What changed between releases keeps working for one release, with a warning: names that
moved (old import paths), learned attributes that were renamed and positional constructor
arguments (now keyword-only)."""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings

__all__ = ["RENAMED", "keyword_only_init", "moved_names", "renamed_attribute"]

#: default of a constructor parameter kept under its previous name for one release (the value
#: says the parameter was not passed; its new name holds the real default)
RENAMED = "renamed"


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


def keyword_only_init(init):
    """Decorate an ``__init__`` whose parameters are keyword-only (``def __init__(self, *,
    ...)``) so that positional calls of the previous release keep working for one release.

    Extra positional arguments are bound to the keyword-only parameters in their declared order
    (the order they had when they were positional), with a ``FutureWarning`` saying how to call
    it. ``inspect.signature`` (and so ``get_params`` and the docs) shows the keyword-only
    signature.

    Parameters
    ----------
    init : callable
        The ``__init__`` to wrap.

    Returns
    -------
    callable
    """
    signature = inspect.signature(init)
    parameters = list(signature.parameters.values())[1:]  # without self
    n_positional = sum(p.kind == p.POSITIONAL_OR_KEYWORD for p in parameters)
    keyword_only = [p.name for p in parameters if p.kind == p.KEYWORD_ONLY]

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        extra = args[n_positional:]
        if extra:
            name = type(self).__name__
            if len(extra) > len(keyword_only):
                raise TypeError(f"{name}() takes at most {n_positional + len(keyword_only)} "
                                f"arguments, got {len(args)}.")
            names = keyword_only[:len(extra)]
            repeated = [n for n in names if n in kwargs]
            if repeated:
                raise TypeError(f"{name}() got multiple values for argument {repeated[0]!r}.")
            warnings.warn(
                f"Pass {', '.join(f'{n}={v!r}' for n, v in zip(names, extra))} as keyword "
                f"arguments: {name}'s parameters are keyword-only, and positional arguments will "
                f"raise a TypeError in the next release.", FutureWarning, stacklevel=2)
            kwargs.update(zip(names, extra))
            args = args[:n_positional]
        init(self, *args, **kwargs)

    return wrapper


def renamed_attribute(old, new):
    """A read-only property ``old`` serving the attribute ``new`` it was renamed to.

    Parameters
    ----------
    old : str
        The previous name (the property's).
    new : str
        The current name.

    Returns
    -------
    property
        Its getter returns ``getattr(self, new)`` after a ``FutureWarning`` naming ``new``
        (errors of ``new``, e.g. ``NotFittedError``, propagate).
    """

    def getter(self):
        warnings.warn(f"{type(self).__name__}.{old} was renamed {new}; {old} will be removed in "
                      "the next release.", FutureWarning, stacklevel=2)
        return getattr(self, new)

    return property(getter, doc=f"Deprecated alias of ``{new}``.")
