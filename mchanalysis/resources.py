"""Where the package's own files are: notebooks, parameter files, target sets, reference data.

Everything a run needs ships inside the package (``mchanalysis/notebooks/``,
``mchanalysis/params/``, ``mchanalysis/data/reference/``, the registry, templates and font) and is
located with :mod:`importlib.resources`, so an installed wheel runs from any folder. In a clone of
the repository those three folders are symbolic links to the repository's ``notebooks/``,
``params/`` and ``data/reference/`` (the files are edited there; the wheel holds copies).

A *project folder* (``mch init DIR``) may hold its own ``notebooks/`` and ``params/targets/``; they
are looked up before the packaged ones (:func:`project_dir`).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from mchanalysis.errors import MchError

__all__ = [
    "PROJECT_ENV",
    "package_root",
    "package_path",
    "notebooks_dir",
    "params_dir",
    "packaged_targets_dir",
    "reference_dir",
    "project_dir",
    "PackageDataMissing",
]

#: Environment variable naming the project folder of a run. ``mch run`` sets it to the folder it
#: was started in, so that notebooks executing in their staging folder resolve target-set names
#: as the planner did (the kernels inherit the environment).
PROJECT_ENV = "MCH_PROJECT_DIR"


class PackageDataMissing(RuntimeError):
    """A file that ships with the package is absent: a broken installation, never a user error
    to work around (so not an :class:`~mchanalysis.errors.MchError`, which callers may catch to
    leave a section out)."""


def package_root() -> Path:
    """The installed ``mchanalysis`` package folder (a real folder: zip imports are not supported)."""
    root = resources.files("mchanalysis")
    return Path(str(root))


def package_path(*parts: str, must_exist: bool = True) -> Path:
    """A file or folder shipped in the package, e.g. ``package_path("params", "default.yaml")``.

    Raises
    ------
    PackageDataMissing
        When *must_exist* and the path is absent (the wheel was built without its data).
    """
    p = package_root().joinpath(*parts)
    if must_exist and not p.exists():
        raise PackageDataMissing(
            f"{p}: missing from the installed mchanalysis package; reinstall it from a wheel "
            f"built with its package data (pip install --force-reinstall mchanalysis)"
        )
    return p


def notebooks_dir() -> Path:
    """The packaged pipeline notebooks."""
    return package_path("notebooks")


def params_dir() -> Path:
    """The packaged parameter files (``default.yaml``, ``examples/``, ``targets/``)."""
    return package_path("params")


def packaged_targets_dir() -> Path:
    """The packaged target sets (``national_2025``, ``national_2030``, ...)."""
    return package_path("params", "targets")


def reference_dir() -> Path:
    """The packaged national reference series (``national_series.csv`` and its README)."""
    return package_path("data", "reference")


def project_dir() -> Path | None:
    """The project folder: :data:`PROJECT_ENV` during ``mch run``; else, for a notebook opened by
    hand in JupyterLab (its kernel runs in ``<project>/notebooks/``), the folder above when it
    holds ``params/``; else None."""
    value = os.environ.get(PROJECT_ENV)
    if value:
        return Path(value)
    here = Path.cwd()
    if here.name == "notebooks" and (here.parent / "params").is_dir():
        return here.parent
    return None


def project_notebook(name: str, folder: str | os.PathLike | None = None) -> Path:
    """The notebook *name* of the project folder (``<folder>/notebooks/<name>``, default the
    current directory) when it exists there, else the packaged one."""
    here = Path(folder if folder is not None else Path.cwd()) / "notebooks" / name
    if here.is_file():
        return here
    packaged = notebooks_dir() / name
    if not packaged.is_file():
        raise MchError("notebook not found in the project or the package", file=packaged)
    return packaged
