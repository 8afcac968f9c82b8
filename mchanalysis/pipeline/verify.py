"""``mch verify``: check a report directory against its manifest, then (unless told not to)
re-execute it from the manifest and compare every output byte for byte.

Read-only and safe before anything runs: the manifest is checked for shape (one-line error if
malformed), every recorded input *and notebook* is hashed, and nothing is executed unless all of
them still have their recorded SHA-256 (a notebook named by a tampered manifest is never run).
Files in the directory but not in the manifest are reported, as are listed files that are
missing or whose bytes differ. The re-execution writes only into a temporary directory.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mchanalysis.errors import MchError
from mchanalysis.pipeline import manifest as mf


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
    failure: dict | None = None
    executed: bool = False
    skipped: str | None = None  # why the re-execution did not run

    @property
    def ok(self) -> bool:
        return not (self.differ or self.missing or self.extra or self.tampered or self.absent
                    or self.added or self.inputs_changed or self.failure)

    def lines(self) -> list[str]:
        out = []
        for label, items in (("input changed since the run", self.inputs_changed),
                             ("missing from the folder", self.absent),
                             ("not in the manifest (added to the folder)", self.added),
                             ("differs from its manifest", self.tampered),
                             ("differs on re-execution", self.differ),
                             ("not produced by the re-execution", self.missing),
                             ("new in the re-execution", self.extra)):
            out += [f"{label}: {p}" for p in items]
        if self.failure:
            f = self.failure
            out.append(f"re-execution failed: {f.get('notebook')}, cell {f.get('cell_index')}: "
                       f"{f.get('ename')}: {f.get('evalue')}")
        if self.skipped:
            out.append(f"not re-executed: {self.skipped}")
        verdict = "identical" if self.ok else "DIFFERENT"
        how = "compared after re-execution" if self.executed else "checked against the manifest"
        out.append(f"{self.directory}: {self.checked} file(s) {how}, {verdict}")
        return out


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


def verify_directory(directory, *, kernel=None, execute: bool = True) -> VerifyReport:
    """Check *directory* against its ``manifest.json``; with *execute*, re-run it (in a temporary
    directory, never in *directory*) and compare bytes.

    Raises
    ------
    MchError
        No manifest, a manifest that is not valid JSON or lacks required fields, a result that
        is not ``done``, or a recorded input or notebook that no longer exists.
    """
    import json

    from mchanalysis.pipeline.params import check_parameters
    from mchanalysis.pipeline.runner import RegionJob, run_region

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
    for item in doc["inputs"] + doc["notebooks"]:
        p = Path(item["path"])
        if not p.is_file():
            raise MchError(f"input recorded in the manifest is missing: {p}", file=mpath)
        if mf.sha256_file(p) != item["sha256"]:
            report.inputs_changed.append(str(p))
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
    from mchanalysis.pipeline.notebook import WarmKernel

    report.checked = 0
    report.executed = True
    tmp = Path(tempfile.mkdtemp(prefix="mch-verify-"))
    own_kernel = kernel is None
    try:
        if own_kernel:
            kernel = WarmKernel()
        job = RegionJob(region=doc["region"], year=int(doc["parameters"]["year"]),
                        parameters=doc["parameters"], notebooks=tuple(doc["notebooks"]),
                        inputs=tuple(doc["inputs"]), year_dir=str(tmp),
                        input_hash=doc["input_hash"], commit=doc.get("git_commit"))
        result = run_region(job, kernel)
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
                if not ours.is_file() or ours.read_bytes() != (redo / rel).read_bytes():
                    report.differ.append(rel)
    finally:
        if own_kernel and kernel is not None:
            kernel.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return report
