"""Re-execute a report directory from its manifest and compare every output byte for byte."""

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
    inputs_changed: list = field(default_factory=list)
    failure: dict | None = None

    @property
    def ok(self) -> bool:
        return not (self.differ or self.missing or self.extra or self.tampered
                    or self.inputs_changed or self.failure)

    def lines(self) -> list[str]:
        out = []
        for label, items in (("input changed since the run", self.inputs_changed),
                             ("differs from its manifest", self.tampered),
                             ("differs on re-execution", self.differ),
                             ("not produced by the re-execution", self.missing),
                             ("new in the re-execution", self.extra)):
            out += [f"{label}: {p}" for p in items]
        if self.failure:
            f = self.failure
            out.append(f"re-execution failed: {f.get('notebook')}, cell {f.get('cell_index')}: "
                       f"{f.get('ename')}: {f.get('evalue')}")
        verdict = "identical" if self.ok else "DIFFERENT"
        out.append(f"{self.directory}: {self.checked} file(s) compared, {verdict}")
        return out


def verify_directory(directory, *, kernel=None) -> VerifyReport:
    """Re-run the region of *directory* (from its ``manifest.json``) in a temporary directory.

    Raises
    ------
    MchError
        No readable manifest in *directory*.
    """
    from mchanalysis.pipeline.notebook import WarmKernel
    from mchanalysis.pipeline.runner import RegionJob, run_region

    directory = Path(directory)
    doc = mf.read_manifest(directory)
    if doc is None:
        raise MchError("no readable manifest.json (not a complete report directory)", file=directory)
    report = VerifyReport(directory)
    for item in doc["inputs"] + doc["notebooks"]:
        p = Path(item["path"])
        if not p.is_file():
            raise MchError(f"input recorded in the manifest is missing: {p}", file=directory / mf.MANIFEST)
        if mf.sha256_file(p) != item["sha256"]:
            report.inputs_changed.append(str(p))
    recorded = {o["path"]: o["sha256"] for o in doc["outputs"]}
    for rel, sha in recorded.items():
        p = directory / rel
        if not p.is_file() or mf.sha256_file(p) != sha:
            report.tampered.append(rel)
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
        redo = job.final_dir
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
