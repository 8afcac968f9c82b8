"""Atomic replacement of a whole report directory.

A reader (a person, ``mch run --resume``, ``mch verify``) must never find a half-written file at
its final path, even if the run is killed with SIGKILL. Single files are written with
:mod:`mchanalysis.atomic` (temp file in the same directory + ``os.replace``). A region's directory
is built in a staging directory beside its final place and renamed into place as a whole, so the
files a notebook writes itself (``savefig``, ``to_csv``) are covered too.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

#: Prefixes of the runner's scratch directories inside ``<out>/<year>/``.
STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"


def new_staging_dir(parent: str | os.PathLike, name: str, *, owner: int | None = None) -> Path:
    """Create an empty scratch directory for *name* inside *parent* (same file system).

    Its name carries the *owner* pid (the ``mch run`` process; default this process), so a
    later run deletes it only once that process has gone (:func:`remove_scratch_dirs`).
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    owner = os.getpid() if owner is None else int(owner)
    path = parent / f"{STAGING_PREFIX}{name}-{owner}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def replace_dir(staging: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Move the finished *staging* directory to *final*, replacing what was there.

    POSIX cannot rename a directory over a non-empty one, so an existing *final* is first renamed
    aside (atomic), the new one renamed in (atomic), and the old one deleted. At every instant
    *final* is either the complete old directory, absent, or the complete new one.
    """
    staging, final = Path(staging), Path(final)
    retired = None
    if final.exists():
        retired = final.parent / f"{RETIRED_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.rename(final, retired)
    os.rename(staging, final)
    _fsync_dir(final.parent)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    return final


def owner_pid(path: str | os.PathLike) -> int | None:
    """The owner pid written into a scratch directory's name, or ``None``."""
    parts = Path(path).name.rsplit("-", 2)
    try:
        return int(parts[-2]) if len(parts) == 3 else None
    except ValueError:
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_scratch_dirs(parent: str | os.PathLike, *, own: bool = False) -> list[Path]:
    """Delete staging/retired directories left in *parent* by runs that have ended; return them.

    A directory whose owner process is still alive (another run, or an orphaned worker that
    could still be writing) is left alone; so is one owned by this process unless *own* (when
    its workers have been stopped).
    """
    parent = Path(parent)
    removed = []
    if not parent.is_dir():
        return removed
    for child in sorted(parent.iterdir()):
        if child.is_dir() and child.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)):
            pid = owner_pid(child)
            if pid is not None and (
                (pid == os.getpid() and not own) or (pid != os.getpid() and pid_alive(pid))
            ):
                continue
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
