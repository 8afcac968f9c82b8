"""``mch verify``: check a report directory against its manifest, then (unless told not to)
re-execute it from the manifest and compare every output byte for byte.

Read-only and safe before anything runs: the manifest is checked for shape (one-line error if
malformed), every recorded input *and notebook* is hashed, and nothing is executed unless all of
them still have their recorded SHA-256 (a notebook named by a tampered manifest is never run).
Files in the directory but not in the manifest are reported, as are listed files that are
missing or whose bytes differ. The re-execution writes only into a temporary directory.

Differences of versions are reported first (the package's version and files, Python and the
libraries of :data:`~mchanalysis.pipeline.manifest.LIBRARIES`), since they explain differing bytes.
A folder moved from another machine is verified with ``data=`` (the data file here): recorded
inputs and notebooks that are not at their recorded path are looked for among the packaged
files (target sets, notebooks) by name and must have their recorded SHA-256; the data path is
given to the notebooks and written back as the recorded one before the outputs are compared.

For a table (``.csv``) that differs on re-execution the report names the cells: row (with the
row's first value, e.g. the region or year), column, the folder's text and the re-executed text
(:func:`table_cell_changes`).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mchanalysis.errors import MchError
from mchanalysis.pipeline import jobs
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.failure import Failure
from mchanalysis.resources import PROJECT_ENV


@dataclass
class VerifyReport:
    directory: Path
    checked: int = 0
    differ: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # in the manifest, absent from the re-run
    extra: list = field(default_factory=list)  # produced by the re-run, not in the manifest
    tampered: list = field(default_factory=list)  # in DIR, bytes differ from the manifest
    absent: list = field(default_factory=list)  # in the manifest, not in DIR
    added: list = field(default_factory=list)  # in DIR, not in the manifest
    inputs_changed: list = field(default_factory=list)
    versions: list = field(default_factory=list)  # "what: recorded -> now", reported first
    cells: dict = field(default_factory=dict)  # table differing on re-execution -> changed cells
    failure: Failure | None = None
    executed: bool = False
    skipped: str | None = None  # why the re-execution did not run

    @property
    def ok(self) -> bool:
        return not (
            self.differ
            or self.missing
            or self.extra
            or self.tampered
            or self.absent
            or self.added
            or self.inputs_changed
            or self.failure
        )

    def lines(self) -> list[str]:
        out = [f"version differs from the run: {v}" for v in self.versions]
        for label, items in (
            ("input changed since the run", self.inputs_changed),
            ("missing from the folder", self.absent),
            ("not in the manifest (added to the folder)", self.added),
            ("differs from its manifest", self.tampered),
            ("differs on re-execution", self.differ),
            ("not produced by the re-execution", self.missing),
            ("new in the re-execution", self.extra),
        ):
            for p in items:
                out.append(f"{label}: {p}")
                if items is self.differ:
                    out += [f"  {c}" for c in self.cells.get(p, [])]
        if self.failure:
            f = self.failure
            out.append(f"re-execution failed: {f.notebook}, cell {f.cell_index}: {f.ename}: {f.evalue}")
        if self.skipped:
            out.append(f"not re-executed: {self.skipped}")
        verdict = "identical" if self.ok else "DIFFERENT"
        how = "compared after re-execution" if self.executed else "checked against the manifest"
        out.append(f"{self.directory}: {self.checked} file(s) {how}, {verdict}")
        return out


def _moved_back(content: bytes, moved: dict[str, str]) -> bytes:
    """*content* with every moved path written back as recorded (as text and JSON-escaped), so
    that a notebook that echoes its ``data_path`` compares equal after a move."""
    import json

    for old, new in moved.items():
        for a, b in ((new, old), (json.dumps(new)[1:-1], json.dumps(old)[1:-1])):
            content = content.replace(a.encode("utf-8"), b.encode("utf-8"))
    return content


def _shape_error(doc) -> str | None:
    """What is wrong with a manifest's shape, or None."""
    if not isinstance(doc, dict):
        return "not a JSON object"
    for key in ("region", "parameters", "input_hash"):
        if key not in doc:
            return f"no {key!r}"
    for key in ("inputs", "notebooks", "outputs"):
        items = doc.get(key)
        if not isinstance(items, list):
            return f"{key!r} is missing or not a list"
        for i, item in enumerate(items):
            need = ("path", "sha256") + (("name",) if key == "notebooks" else ())
            if not isinstance(item, dict) or any(not isinstance(item.get(k), str) for k in need):
                return f"{key}[{i}] lacks {' or '.join(need)}"
            if key == "outputs" and (Path(item["path"]).is_absolute() or ".." in Path(item["path"]).parts):
                return f"outputs[{i}] path {item['path']!r} leaves the folder"
    if not isinstance(doc["region"], dict) or not isinstance(doc["parameters"], dict):
        return "'region' and 'parameters' must be objects"
    if not isinstance(doc["parameters"].get("year"), int):
        return "parameters.year is not a whole number"
    return None


def version_differences(doc: dict) -> list[str]:
    """``"name: recorded -> now"`` for the package version, its files and every recorded library
    (and Python) whose installed version differs from the manifest's."""
    from mchanalysis import __version__

    out = []
    pkg: dict = doc["package"] if isinstance(doc.get("package"), dict) else {}
    if pkg.get("version") not in (None, __version__):
        out.append(f"mchanalysis {pkg.get('version')} -> {__version__}")
    if pkg.get("files_sha256") not in (None, mf.package_digest()):
        out.append(
            f"mchanalysis package files {str(pkg['files_sha256'])[:12]} -> "
            f"{mf.package_digest()[:12]} (code, templates or registry edited)"
        )
    recorded: dict = doc["libraries"] if isinstance(doc.get("libraries"), dict) else {}
    now = mf.library_versions()
    for name in sorted(recorded):
        if name in now and recorded[name] != now[name]:
            out.append(f"{name} {recorded[name]} -> {now[name]}")
    return out


def _relocate(item: dict, role: str | None) -> Path | None:
    """A packaged file with the recorded file's name and SHA-256 (a folder verified on another
    machine than the one that ran it), or None."""
    from mchanalysis.resources import notebooks_dir, packaged_targets_dir

    name = Path(item["path"]).name
    where = notebooks_dir() if role is None else packaged_targets_dir()
    cand = where / name
    if cand.is_file() and mf.sha256_file(cand) == item["sha256"]:
        return cand
    return None


def verify_directory(
    directory, *, kernel=None, execute: bool = True, data: str | Path | None = None
) -> VerifyReport:
    """Check *directory* against its ``manifest.json``; with *execute*, re-run it (in a temporary
    directory, never in *directory*) and compare bytes. *data*: the data file, when the folder
    was made on another machine or the file has moved (its SHA-256 must be the recorded one).

    Raises
    ------
    MchError
        No manifest, a manifest that is not valid JSON or lacks required fields, a result that
        is not ``done``, or a recorded input or notebook that no longer exists.
    """
    import json

    from mchanalysis.pipeline.params import check_parameters

    directory = Path(directory)
    mpath = directory / mf.MANIFEST
    if not mpath.is_file():
        raise MchError("no manifest.json (not a report directory)", file=directory)
    try:
        doc = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MchError(f"manifest is not readable JSON: {exc}", file=mpath) from None
    problem = _shape_error(doc)
    if problem:
        raise MchError(f"malformed manifest: {problem}", file=mpath)
    status = mf.status_of(doc)
    if status != "done":
        raise MchError(f"the manifest records status {status!r}, not a complete result", file=mpath)
    try:
        check_parameters(doc["parameters"])
    except MchError as exc:
        raise MchError(f"malformed manifest: {exc}", file=mpath) from None
    report = VerifyReport(directory)
    report.versions = version_differences(doc)
    moved: dict[str, str] = {}  # recorded path -> path here
    if data is not None:
        data = Path(data).resolve()
        if not data.is_file():
            raise MchError("data file not found", file=data)
    for item in doc["inputs"] + doc["notebooks"]:
        role = item.get("role") if "role" in item else None
        p = Path(item["path"])
        if role == "data" and data is not None:
            p = data
        elif not p.is_file() and (role is None or str(role).startswith("targets")):
            p = _relocate(item, role) or p
        if not p.is_file():
            hint = " (give the data file with --data)" if role == "data" else ""
            raise MchError(f"input recorded in the manifest is missing: {item['path']}{hint}", file=mpath)
        if str(p) != item["path"]:
            moved[item["path"]] = str(p)
        if mf.sha256_file(p) != item["sha256"]:
            report.inputs_changed.append(str(p))
    inputs_here = tuple({**i, "path": moved.get(i["path"], i["path"])} for i in doc["inputs"])
    recorded = {o["path"]: o["sha256"] for o in doc["outputs"]}
    present = {o["path"] for o in mf.output_digests(directory)}
    report.added = sorted(present - set(recorded))
    for rel, sha in sorted(recorded.items()):
        p = directory / rel
        if not p.is_file():
            report.absent.append(rel)
        elif mf.sha256_file(p) != sha:
            report.tampered.append(rel)
        else:
            report.checked += 1
    if not execute:
        return report
    if report.inputs_changed:
        report.skipped = "an input or notebook differs from the manifest (never run unchecked code)"
        return report
    for item in inputs_here:
        # a target set of a project folder (<project>/params/targets/NAME.yaml), named in the
        # parameters: the kernels, started below, find it as the run's did (mchanalysis.targets)
        t = Path(item["path"])
        if (
            str(item.get("role", "")).startswith("targets")
            and t.parent.name == "targets"
            and t.parent.parent.name == "params"
            and not os.environ.get(PROJECT_ENV)
        ):
            os.environ[PROJECT_ENV] = str(t.parent.parent.parent)
    from mchanalysis.pipeline.notebook import WarmKernel

    report.checked = 0
    report.executed = True
    tmp = Path(tempfile.mkdtemp(prefix="mch-verify-"))
    own_kernel = kernel is None
    try:
        if own_kernel:
            kernel = WarmKernel()
        parameters = {k: moved.get(v, v) if isinstance(v, str) else v for k, v in doc["parameters"].items()}
        notebooks = tuple({**n, "path": moved.get(n["path"], n["path"])} for n in doc["notebooks"])
        job = jobs.RegionJob(
            region=doc["region"],
            year=int(doc["parameters"]["year"]),
            parameters=parameters,
            notebooks=notebooks,
            inputs=inputs_here,
            year_dir=str(tmp),
            input_hash=doc["input_hash"],
            commit=doc.get("git_commit"),
        )
        result = jobs.run_region(job, kernel)
        if result.failure:
            report.failure = result.failure
        redo = tmp / result.location if result.location else job.final_dir
        produced = {o["path"] for o in mf.output_digests(redo)}
        for rel in sorted(set(recorded) | produced):
            if rel not in produced:
                report.missing.append(rel)
            elif rel not in recorded:
                report.extra.append(rel)
            else:
                report.checked += 1
                ours = directory / rel
                theirs = _moved_back((redo / rel).read_bytes(), moved)
                if not ours.is_file() or ours.read_bytes() != theirs:
                    report.differ.append(rel)
                    if rel.endswith(".csv") and ours.is_file():
                        report.cells[rel] = table_cell_changes(ours.read_bytes(), theirs)
    finally:
        if own_kernel and kernel is not None:
            kernel.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def table_cell_changes(ours: bytes, theirs: bytes, *, limit: int = 10) -> list[str]:
    """The cells in which two versions of a CSV table differ, one line each, as a reviewer reads
    them: ``row 3 (990105), value: '4.09' here, '4.10' on re-execution``.

    Rows are compared by position (the batch writes tables in a fixed, sorted order) and named by
    their spreadsheet row (header = 1) and first value; columns by the header. A different header
    or number of rows is said first; at most ``limit`` cells are listed, then how many more.
    """

    def rows(data: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline="")))

    a, b = rows(ours), rows(theirs)
    out: list[str] = []
    head_a, head_b = (a[0] if a else []), (b[0] if b else [])
    if head_a != head_b:
        out.append(f"columns differ: {head_a} here, {head_b} on re-execution")
    if len(a) != len(b):
        out.append(f"{len(a) - 1} data row(s) here, {len(b) - 1} on re-execution")
    changed = []
    for r, (ra, rb) in enumerate(zip(a[1:], b[1:]), start=2):
        for c in range(max(len(ra), len(rb))):
            va = ra[c] if c < len(ra) else ""
            vb = rb[c] if c < len(rb) else ""
            if va != vb:
                column = head_a[c] if c < len(head_a) else f"column {c + 1}"
                key = f" ({ra[0]})" if ra and c else ""
                changed.append(f"row {r}{key}, {column}: {va!r} here, {vb!r} on re-execution")
    out += changed[:limit]
    if len(changed) > limit:
        out.append(f"… and {len(changed) - limit} more cell(s)")
    return out
