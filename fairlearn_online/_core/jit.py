"""Where numba caches the compiled kernels, and the one-line notice while they compile.

:func:`configure` runs once, at the top of every kernel module (``*/_kernels.py``) before its
functions are decorated (they use ``cache=True``, and numba picks the cache location when it
decorates them); ``import fairlearn_online`` alone does not load numba:

1. ``NUMBA_CACHE_DIR`` set by the user: numba's choice, nothing to do.
2. The package's own ``__pycache__`` directories are writable (an editable or user install):
   numba caches there, nothing to do.
3. Otherwise (a system or read-only install) numba's user-wide cache directory, if writable.
4. Otherwise the first writable of ``$XDG_CACHE_HOME/fairlearn_online/numba`` (or
   ``~/.cache/...``) and ``<tempdir>/fairlearn_online-numba-<uid>``, given to numba as its cache
   directory (``numba.config.CACHE_DIR``; it then also holds the cache of other numba code of
   the process that asks for caching).
5. No writable directory at all: the kernels are compiled in memory in every process, with one
   ``RuntimeWarning`` (before this, ``import fairlearn_online`` failed with numba's
   "cannot cache function ...: no locator available").

The first compilation in a process prints one line on stderr saying that kernels are being
compiled and where they are cached; a process that finds them cached prints nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["configure", "cache_location", "describe_location", "compiled_entry"]

_PACKAGE = Path(__file__).resolve().parent.parent
#: the subpackages holding ``cache=True`` kernels
_KERNEL_DIRS = ("_core", "forest", "baselines", "regret", "dcov", "selection")

_state = {"configured": False, "location": None, "noticed": False}


def _writable(path) -> bool:
    """numba's own test of a cache directory: it can be created and a file written in it."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def choose_location(*, writable=None, environ=None) -> tuple[str, str | None]:
    """``(kind, directory)`` of the cache per the rules of this module's docstring.

    ``kind`` is ``"user"`` (``NUMBA_CACHE_DIR``), ``"in-tree"``, ``"numba-user-wide"``,
    ``"fallback"`` (``directory`` is to be given to numba) or ``"none"``.
    """
    from numba.core import config

    writable = _writable if writable is None else writable  # looked up now (tests patch it)
    environ = os.environ if environ is None else environ
    if config.CACHE_DIR:
        return "user", str(config.CACHE_DIR)
    if all(writable(_PACKAGE / sub / "__pycache__") for sub in _KERNEL_DIRS):
        return "in-tree", str(_PACKAGE)
    try:
        from numba.misc.appdirs import AppDirs

        numba_dir = AppDirs(appname="numba", appauthor=False).user_cache_dir
    except Exception:  # pragma: no cover - numba internals moved
        numba_dir = None
    if numba_dir and writable(numba_dir):
        return "numba-user-wide", numba_dir
    candidates = []
    xdg = environ.get("XDG_CACHE_HOME")
    home = environ.get("HOME")
    if xdg:
        candidates.append(os.path.join(xdg, "fairlearn_online", "numba"))
    if home:
        candidates.append(os.path.join(home, ".cache", "fairlearn_online", "numba"))
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    candidates.append(os.path.join(tempfile.gettempdir(), f"fairlearn_online-numba-{uid}"))
    for path in candidates:
        if writable(path):
            return "fallback", path
    return "none", None


def configure() -> None:
    """Apply :func:`choose_location` and install the compile notice (idempotent)."""
    if _state["configured"]:
        return
    _state["configured"] = True
    kind, path = choose_location()
    if kind == "fallback":
        from numba.core import config

        config.CACHE_DIR = path
    elif kind == "none":
        _disable_caching_of_this_package()
        warnings.warn(
            "fairlearn_online: no writable directory for numba's cache (the package directory, "
            "the user cache directory and the temporary directory are read-only); the kernels "
            "will be compiled again in every process. Set NUMBA_CACHE_DIR to a writable "
            "directory to cache them.", RuntimeWarning, stacklevel=3)
    _state["location"] = (kind, path)
    _install_notice()


def cache_location() -> tuple[str, str | None]:
    """``(kind, directory)`` chosen by :func:`configure` (see :func:`choose_location`)."""
    return _state["location"] or choose_location()


def compiled_entry(kernel, args):
    """The compiled version of ``kernel`` for exactly the numba types of ``args`` (compiled,
    or loaded from the cache, now if it is not yet), callable without numba's type dispatch
    (about 0.1 us an argument): for the per-event route, which calls a kernel again and again
    with the very same objects, whose types cannot change.

    Returns ``kernel`` itself (the dispatching call) for a step function compiled without a
    Python wrapper, or when numba's internals (``Dispatcher.overloads``, ``entry_point``, as
    of numba 0.68) are not there.
    """
    try:
        from numba import typeof

        if kernel.targetoptions.get("no_cpython_wrapper"):
            return kernel  # a step function: no entry that Python may call
        signature = tuple(typeof(a) for a in args)
        if signature not in kernel.overloads:
            kernel.compile(signature)
        return kernel.overloads[signature].entry_point
    except Exception:  # numba moved its internals: the ordinary call is always right
        return kernel


def _disable_caching_of_this_package():
    """``cache=True`` of this package's kernels becomes a no-op (other numba code keeps numba's
    own behaviour)."""
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.enable_caching
    if getattr(original, "_fairlearn_online", False):
        return

    def enable_caching(self):
        if getattr(self.py_func, "__module__", "").startswith("fairlearn_online."):
            return None
        return original(self)

    enable_caching._fairlearn_online = True
    Dispatcher.enable_caching = enable_caching


def describe_location(location) -> str:
    """Where the kernels are cached, in words (the compile notice's)."""
    kind, path = location
    if kind == "none":
        return "not cached: no writable directory, set NUMBA_CACHE_DIR"
    if kind == "in-tree":
        return f"cached beside the package in {path}"
    return f"cached in {path}"


def silence_notice():
    """No compile notice in this process (a worker of ``precompile``, whose caller reports
    progress itself)."""
    _state["noticed"] = True


def _install_notice():
    from numba.core import event

    class _CompileNotice(event.Listener):
        def on_start(self, ev):
            if _state["noticed"]:
                return
            dispatcher = (ev.data or {}).get("dispatcher")
            module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
            if not module.startswith("fairlearn_online."):
                return
            _state["noticed"] = True
            sys.stderr.write(
                "fairlearn_online: compiling numba kernels on first use; this takes a few "
                f"seconds once ({describe_location(cache_location())}).\n")
            sys.stderr.flush()

        def on_end(self, ev):
            pass

    event.register("numba:compile", _CompileNotice())
