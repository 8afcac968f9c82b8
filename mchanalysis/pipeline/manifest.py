"""Provenance of one report directory: ``manifest.json`` (docs/design.md "Reports").

The manifest is the *last* file written into a region's directory, and a directory counts as
complete only when its manifest parses and carries the expected input hash. The input hash is the
SHA-256 of a canonical JSON document holding the SHA-256 of every input file (data, target set),
of every notebook, the run parameters, the package version, the SHA-256 of the installed
package's files (its code, templates, registry, font and reference data:
:func:`package_digest`) and the versions of the libraries that shape the outputs
(:data:`LIBRARIES`): change any of them and ``mch run --resume`` redoes the region.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from mchanalysis import __version__

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
#: A region's status in its manifest and in the run summary. ``done``: every notebook ran;
#: ``partial``: some notebooks failed, the others' outputs (and the report, naming the missing
#: sections) are there; ``failed``: nothing usable; ``stopped``: interrupted (Ctrl-C, a changed
#: input), nothing written. Only ``done`` counts as complete for ``--resume``.
STATUSES = ("done", "partial", "failed", "stopped")

#: Libraries whose versions can change a report's bytes (numbers, figures, HTML, Word, Excel).
LIBRARIES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jinja2",
    "python-docx",
    "openpyxl",
    "lxml",
    "mistune",
    "pyarrow",
    "pyyaml",
)


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def canonical_json(obj) -> str:
    """JSON with sorted keys and no insignificant whitespace variation (hash input)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def input_hash(
    *,
    inputs: dict[str, str],
    notebooks: dict[str, str],
    parameters: dict,
    package_version: str = __version__,
    package_files: str | None = None,
    libraries: dict | None = None,
) -> str:
    """SHA-256 over input file digests, notebook digests, parameters, package version, package
    files and library versions.

    Parameters
    ----------
    inputs, notebooks : dict
        Role or file name -> SHA-256 of the file's bytes (paths do not enter the hash: moving the
        data file does not invalidate a report, changing one byte of it does).
    parameters : dict
        The notebook parameters of the region.
    package_files : str, optional
        :func:`package_digest` (default: of the package as installed now).
    libraries : dict, optional
        :func:`library_versions` (default: as installed now).
    """
    doc = {
        "inputs": inputs,
        "notebooks": notebooks,
        "parameters": parameters,
        "package_version": package_version,
        "package_files": package_digest() if package_files is None else package_files,
        "libraries": library_versions() if libraries is None else libraries,
    }
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()


_DIGEST_CACHE: dict[tuple, str] = {}


def package_files(root: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """Every file of the installed package, ``(relative posix path, path)``, sorted.

    Follows the package's linked folders (``notebooks/``, ``params/``, ``data/reference/`` in a
    clone); leaves out ``__pycache__``, compiled files and hidden files and folders (e.g.
    JupyterLab's ``.ipynb_checkpoints``).
    """
    if root is None:
        from mchanalysis.resources import package_root

        root = package_root()
    root = Path(root)
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            p = Path(dirpath) / name
            out.append((p.relative_to(root).as_posix(), p))
    return sorted(out)


def package_digest(root: str | os.PathLike | None = None) -> str:
    """SHA-256 of the installed package's files: each file's relative path and SHA-256, in
    path order (:func:`package_files`). Edit a template, the registry or any module and it
    changes. Cached on the files' sizes and modification times."""
    files = package_files(root)
    key = tuple((rel, p.stat().st_size, p.stat().st_mtime_ns) for rel, p in files)
    if key not in _DIGEST_CACHE:
        h = hashlib.sha256()
        for rel, p in files:
            h.update(f"{rel}\0{sha256_file(p)}\n".encode())
        _DIGEST_CACHE.clear()
        _DIGEST_CACHE[key] = h.hexdigest()
    return _DIGEST_CACHE[key]


def library_versions() -> dict[str, str | None]:
    """Installed versions of :data:`LIBRARIES` and of Python."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(path: str | os.PathLike | None = None) -> str | None:
    """The commit of the git work tree holding *path* (default: the package), else ``None``."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        res = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = res.stdout.strip()
    return sha if res.returncode == 0 and len(sha) == 40 else None


def output_digests(directory: str | os.PathLike) -> list[dict]:
    """Every file under *directory* except the manifest: ``{"path", "sha256", "bytes"}``, sorted."""
    directory = Path(directory)
    rows = []
    for p in sorted(directory.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            rel = p.relative_to(directory).as_posix()
            rows.append({"path": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size})
    return rows


def build_manifest(
    *,
    region: dict,
    parameters: dict,
    inputs: list[dict],
    notebooks: list[dict],
    input_hash_: str,
    outputs: list[dict],
    commit: str | None,
    libraries: dict,
    status: str = "done",
    failures: list | None = None,
) -> dict:
    """Assemble the manifest document (no timestamps: it is as reproducible as the outputs).

    *status* is one of :data:`STATUSES`; *failures* (one dict per failed notebook) is recorded
    for any status but ``done``.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown region status {status!r}")
    doc = {
        "manifest_version": MANIFEST_VERSION,
        "status": status,
        "region": region,
        "parameters": parameters,
        "inputs": inputs,
        "notebooks": notebooks,
        "package": {"name": "mchanalysis", "version": __version__, "files_sha256": package_digest()},
        "git_commit": commit,
        "libraries": libraries,
        "input_hash": input_hash_,
        "outputs": outputs,
    }
    if status != "done":
        doc["failures"] = list(failures or [])
    return doc


def status_of(doc: dict | None) -> str | None:
    """The status a manifest records (manifests older than statuses were all ``done``)."""
    if doc is None:
        return None
    return str(doc.get("status", "done"))


def manifest_bytes(doc: dict) -> bytes:
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_manifest(directory: str | os.PathLike) -> dict | None:
    """The parsed manifest of *directory*, or ``None`` if absent or unreadable."""
    try:
        with open(Path(directory) / MANIFEST, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def is_complete(directory: str | os.PathLike, expected_hash: str) -> bool:
    """True if *directory* holds a ``done`` manifest with *expected_hash* and every listed output
    exists with its recorded size."""
    doc = read_manifest(directory)
    if doc is None or doc.get("input_hash") != expected_hash or status_of(doc) != "done":
        return False
    directory = Path(directory)
    for row in doc.get("outputs", []):
        if not isinstance(row, dict) or not isinstance(row.get("path"), str):
            return False
        p = directory / row["path"]
        if not p.is_file() or p.stat().st_size != row.get("bytes", -1):
            return False
    return True
