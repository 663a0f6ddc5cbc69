"""The output folder of an experiment run: checked before any computation, written atomically.

A run writes its tables, figures and ``run.json`` into a hidden staging folder next to the
requested one, and the staging folder replaces the requested folder only once everything is
written. An interrupt (Ctrl-C), a full disk or any other error leaves the previous results as
they were and removes the staging folder. This module uses the standard library only, so that
the command line can check ``--out`` before it imports anything heavy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

__all__ = ["check_output_dir", "ResultsFolder"]

#: the file that marks a folder as a previous run's results (safe to replace)
RUN_RECORD = "run.json"


def check_output_dir(out) -> Path:
    """Validate an output folder before a run; return it as an absolute path.

    Nothing is left behind: writability is probed by creating and removing an empty folder in
    the parent.

    Parameters
    ----------
    out : str or os.PathLike
        The folder a run's results go to. It may not exist yet; if it exists it must be a
        folder that is empty or holds a previous run (a ``run.json``), because it is replaced
        as a whole.

    Returns
    -------
    path : Path

    Raises
    ------
    ValueError
        If ``out`` is a file, lies under a file, holds files that are not a previous run, or
        its parent folder cannot be written to.
    """
    path = Path(os.path.abspath(os.fspath(out)))
    if path.exists() and not path.is_dir():
        raise ValueError(f"output folder {path} is a file; choose a folder.")
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"output folder {path} lies under the file {ancestor}; choose a folder.")
    if path.is_dir() and any(path.iterdir()) and not (path / RUN_RECORD).is_file():
        raise ValueError(
            f"output folder {path} holds files that are not a fairlearn-online run (no "
            f"{RUN_RECORD}), and a run replaces the whole folder; choose a new or empty folder.")
    # the staging folder is created in the parent: probe that (root passes os.access checks
    # on read-only file systems, so try for real)
    probe_in = path.parent if path.parent.exists() else ancestor
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".{path.name}.probe-", dir=probe_in))
    except OSError as exc:
        raise ValueError(f"output folder {path}: cannot write in {probe_in} "
                         f"({exc.strerror or exc}).") from None
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"output folder {path} is not writable.")
    return path


class ResultsFolder:
    """Context manager: a staging folder that replaces ``out`` when the block succeeds.

    ``with ResultsFolder(out) as staging:`` write everything into ``staging``; on a normal exit
    ``staging`` becomes ``out`` (a previous ``out`` is removed after the swap), on an exception
    (``KeyboardInterrupt`` included) ``staging`` is deleted and ``out`` is untouched.

    Parameters
    ----------
    out : str or os.PathLike
        Checked with :func:`check_output_dir` (a ``ValueError`` at construction).
    keep : bool, default=False
        Start the staging folder as a copy of ``out`` (a report redrawn over a finished run:
        its tables and ``run.json`` stay, the figures are replaced together); ``out`` must then
        exist (it is not checked for a ``run.json``: a run that predates it has none).
    """

    def __init__(self, out, *, keep=False):
        self.path = (Path(os.path.abspath(os.fspath(out))) if keep else check_output_dir(out))
        self.keep = keep
        self.staging = None

    def __enter__(self) -> Path:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.partial-",
                                                 dir=self.path.parent))
        except OSError as exc:
            raise ValueError(f"output folder {self.path}: cannot write in "
                             f"{self.path.parent} ({exc.strerror or exc}).") from exc
        if self.keep:
            try:
                shutil.copytree(self.path, self.staging, dirs_exist_ok=True)
            except BaseException:
                shutil.rmtree(self.staging, ignore_errors=True)
                raise
        return self.staging

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            return False
        try:
            self._replace()
        except BaseException:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise
        return False

    def _replace(self):
        os.chmod(self.staging, 0o777 & ~_umask())  # mkdtemp's folder is private (0o700)
        if not self.path.exists():
            os.rename(self.staging, self.path)
            return
        previous = self.path.with_name(f".{self.path.name}.previous-{uuid.uuid4().hex[:8]}")
        os.rename(self.path, previous)
        try:
            os.rename(self.staging, self.path)
        except BaseException:
            os.rename(previous, self.path)
            raise
        shutil.rmtree(previous, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
