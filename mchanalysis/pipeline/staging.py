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


def new_staging_dir(parent: str | os.PathLike, name: str) -> Path:
    """Create an empty scratch directory for *name* inside *parent* (same file system)."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    path = parent / f"{STAGING_PREFIX}{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
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


def remove_scratch_dirs(parent: str | os.PathLike) -> list[Path]:
    """Delete staging/retired directories left in *parent* by a killed run; return them."""
    parent = Path(parent)
    removed = []
    if not parent.is_dir():
        return removed
    for child in sorted(parent.iterdir()):
        if child.is_dir() and child.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)):
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
