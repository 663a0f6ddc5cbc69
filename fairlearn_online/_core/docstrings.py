"""Shared numpydoc fragments: a section written once for every function that has it.

A docstring names a fragment on a line of its own, ``%(name)s``; :func:`fill_doc` replaces the
line with the fragment, indented as the line is, so the rendered docstring reads as if the
fragment had been written there (numpydoc, ``help()`` and the doctests see the full text).
"""

from __future__ import annotations

import inspect
import re

__all__ = ["fill_doc"]

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$")


def fill_doc(**fragments):
    """Decorator replacing each ``%(name)s`` line of a docstring by ``fragments[name]``.

    Parameters
    ----------
    **fragments : str
        The fragments by name; each is dedented, then indented as its placeholder line.

    Returns
    -------
    decorate : callable
        Takes a function or class and returns it with the filled docstring. A placeholder
        without a fragment raises a ``KeyError`` naming it.
    """
    texts = {name: inspect.cleandoc(text) for name, text in fragments.items()}

    def decorate(obj):
        lines = []
        for line in (obj.__doc__ or "").split("\n"):
            match = _PLACEHOLDER.match(line)
            if match is None:
                lines.append(line)
                continue
            name = match.group("name")
            if name not in texts:
                raise KeyError(f"{obj.__qualname__}: no docstring fragment {name!r}.")
            indent = match.group("indent")
            lines.extend(indent + part if part else "" for part in texts[name].split("\n"))
        obj.__doc__ = "\n".join(lines)
        return obj

    return decorate
