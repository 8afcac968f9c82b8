"""One region's task: the job and result values, :func:`run_region`, and the layout on disk.

Nothing lost: one region is one task (:func:`run_region`). Its notebooks run in order in one
kernel, in a staging directory of this run, and the result is moved into place by an atomic
rename once its ``manifest.json`` (written last) is in it:

- ``done`` (every notebook ran): the staging directory replaces ``<out>/<year>/<code>/``;
- ``partial`` (some notebooks failed; the others ran, and a report notebook that declares
  ``missing_sections`` is told which): it replaces ``<code>/`` only if that holds no ``done``
  result, else it goes to ``<out>/<year>/_failed/<code>/``;
- ``failed``: it goes to ``_failed/<code>/`` (partly executed notebooks, ``error.json``);
  a previous good ``<code>/`` is never touched;
- ``stopped``: interrupted (Ctrl-C, or an input file changed during the run); nothing moved.

A failure is a value (:class:`~mchanalysis.pipeline.failure.Failure`: notebook, cell index,
exception name and message), never an exception that stops the batch. Nothing injected: the
data, target and notebook files are hashed when the run is planned and re-hashed before and
after each region; a changed file fails the region with ``InputChanged``.

This module knows nothing of the batch: the executors (:mod:`mchanalysis.pipeline.executors`)
run :func:`run_region` wherever they run tasks, the runner (:mod:`mchanalysis.pipeline.runner`)
makes the jobs, drives an executor and writes the run summary and the indexes
(:mod:`mchanalysis.pipeline.index`, which reads :func:`earlier_results`). Papermill's engines
are the model: the engine is given a notebook and runs it, the caller decides which and where.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mchanalysis.atomic import write_bytes, write_text
from mchanalysis.errors import MchError
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.failure import Failure
from mchanalysis.pipeline.notebook import NotebookFailed, execute_fresh, notebook_bytes
from mchanalysis.pipeline.params import OPTIONAL_NOTEBOOK_PARAMETERS
from mchanalysis.pipeline.staging import new_staging_dir, replace_dir

#: The notebook whose HTML export is the region's ``report.html``.
REPORT_NOTEBOOK = "04_annual_report.ipynb"
_CODE = re.compile(r"[0-9A-Za-z]{1,32}", re.ASCII)
#: Sub-folder of ``<out>/<year>/`` holding the last failed attempt of each region.
FAILED_DIR = "_failed"
#: The run summary of the last run of a year, in ``<out>/<year>/``.
RUN_SUMMARY = "run.json"


def html_name(notebook_name: str) -> str:
    """``report.html`` for the annual-report notebook, ``<stem>.html`` for the others."""
    return "report.html" if notebook_name == REPORT_NOTEBOOK else Path(notebook_name).stem + ".html"


def region_dir_name(code: str) -> str:
    """The directory name of a region: its code, checked to be safe as a path component."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise MchError(f"region code {code!r} cannot be used as a directory name")
    return code


@dataclass(frozen=True)
class RegionJob:
    """Everything a worker needs to produce one region's directory (picklable, absolute paths)."""

    region: dict  # region_code, region_name, level, parent_code
    year: int
    parameters: dict
    notebooks: tuple  # ({"name", "path", "sha256"}, ...)
    inputs: tuple  # ({"role", "path", "sha256"}, ...)
    year_dir: str
    input_hash: str
    commit: str | None
    timeout: float | None = 600.0
    fresh_kernels: bool = False  # papermill with a new kernel per notebook (reference path)
    owner_pid: int | None = None  # the mch run process owning the staging directories
    #: The batch's shared tables (:func:`mchanalysis.analysis.data.write_shared_tables`), given
    #: to the kernels a worker starts; None: every kernel computes them.
    shared_tables: str | None = None

    @property
    def code(self) -> str:
        return self.region["region_code"]

    @property
    def final_dir(self) -> Path:
        return Path(self.year_dir) / region_dir_name(self.code)

    @property
    def failed_dir(self) -> Path:
        return Path(self.year_dir) / FAILED_DIR / region_dir_name(self.code)


@dataclass
class RegionResult:
    """Outcome of one region.

    ``status``: ``done``, ``partial``, ``failed``, ``stopped`` (see the module docstring),
    ``unchanged`` (skipped by ``--resume``) or ``earlier`` (left by an earlier run, for the
    index). ``location`` is the folder holding ``outputs``, relative to ``<out>/<year>/``
    (``<code>`` or ``_failed/<code>``; ``None`` when nothing was written); ``kept`` is true when
    an earlier ``done`` result was kept at ``<code>/`` because this attempt was not complete.
    ``failures``: one :class:`~mchanalysis.pipeline.failure.Failure` per failed notebook (or
    one for a failure before or outside the notebooks), in the order they happened.
    """

    region_code: str
    region_name: str
    level: str
    status: str
    seconds: float = 0.0
    outputs: list = field(default_factory=list)
    location: str | None = None
    kept: bool = False
    failures: list[Failure] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.location is None and self.status in ("done", "unchanged", "earlier", "partial"):
            self.location = self.region_code

    @property
    def failure(self) -> Failure | None:
        """The first failure (the one ``error.json`` leads with), or ``None``."""
        return self.failures[0] if self.failures else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "region_code": self.region_code,
            "region_name": self.region_name,
            "level": self.level,
            "status": self.status,
            "seconds": self.seconds,
            "outputs": self.outputs,
            "location": self.location,
            "kept": self.kept,
            "failures": [f.to_dict() for f in self.failures],
        }


#: Set by Ctrl-C / SIGTERM during a batch (:mod:`mchanalysis.pipeline.runner` sets it): the
#: region in progress stops, unrecorded.
STOP = threading.Event()


class InputChanged(MchError):
    """An input file (data, targets, notebook) no longer has the SHA-256 the run planned with."""


def changed_inputs(job: RegionJob) -> list[str]:
    """``path (planned sha256 …, now …)`` for every input or notebook file of *job* that changed."""
    out = []
    for item in tuple(job.inputs) + tuple(job.notebooks):
        path = item["path"]
        try:
            now = mf.sha256_file(path)
        except OSError as exc:
            out.append(f"{path} ({exc.strerror or exc})")
            continue
        if now != item["sha256"]:
            out.append(f"{path} (sha256 {item['sha256'][:12]}… when the run started, now {now[:12]}…)")
    return out


@functools.lru_cache(maxsize=64)
def _declared(path: str, sha256: str) -> frozenset:
    """The parameters a notebook declares (cached by content)."""
    import papermill

    return frozenset(papermill.inspect_notebook(path))


def _previous_done(final: Path) -> bool:
    return mf.status_of(mf.read_manifest(final)) == "done"


def run_region(job: RegionJob, kernel=None, *, parent_pid: int | None = None) -> RegionResult:
    """Execute every notebook of one region and move the result into place; never raises for a
    notebook error (see the module docstring for where each status goes).

    Parameters
    ----------
    job : RegionJob
    kernel : WarmKernel, optional
        A reused kernel; ``None`` runs papermill with new kernels.
    parent_pid : int, optional
        The pid of the ``mch run`` process; if it has died the result is not moved into place,
        so an orphaned worker never races a resumed run.
    """
    # lazy: the exporter brings nbconvert and the report package, needed only once a notebook
    # has run (verify --no-execute, the indexes and the runner's planning import this module)
    from mchanalysis.pipeline.export import export_html

    start = time.perf_counter()
    final = job.final_dir
    staging = new_staging_dir(job.year_dir, job.code, owner=job.owner_pid)
    failures: list[Failure] = []
    ran: list[str] = []
    try:
        changed = changed_inputs(job)
        if changed:
            failures.append(
                Failure.from_exception(InputChanged("input changed during the run: " + "; ".join(changed)))
            )
        for spec in job.notebooks if not changed else ():
            if STOP.is_set():
                raise KeyboardInterrupt
            name = spec["name"]
            declared = _declared(spec["path"], spec["sha256"])
            params = {
                k: v
                for k, v in job.parameters.items()
                if k not in OPTIONAL_NOTEBOOK_PARAMETERS or k in declared
            }
            if "missing_sections" in declared:
                params["missing_sections"] = [f.notebook for f in failures]
            try:
                if kernel is None:
                    nb = execute_fresh(spec["path"], params, cwd=staging, timeout=job.timeout)
                else:
                    nb = kernel.execute(spec["path"], params, cwd=staging, timeout=job.timeout)
            except NotebookFailed as exc:
                failures.append(exc.failure)
                if exc.nb is not None:
                    write_bytes(staging / name, notebook_bytes(exc.nb))
                continue
            except MchError as exc:  # a parameter refused before injection: same for all
                failures.append(Failure.from_exception(exc, notebook=name))
                break
            except Exception as exc:  # kernel died, timeout, ...: still a value, not a crash
                failures.append(Failure.from_exception(exc, notebook=name))
                continue
            try:
                write_bytes(staging / name, notebook_bytes(nb))
                write_text(
                    staging / html_name(name),
                    export_html(nb, title=_title(nb, job, name), lang=job.parameters.get("lang", "zh")),
                )
            except Exception as exc:  # an export that fails is a failure of that notebook
                failures.append(Failure.from_exception(exc, notebook=name, prefix="writing outputs: "))
                continue
            ran.append(name)
        if STOP.is_set():  # the failure above may be the kernel killed by Ctrl-C
            raise KeyboardInterrupt
        if not changed:
            changed = changed_inputs(job)  # a file edited while the notebooks read it
            if changed:
                failures.append(
                    Failure.from_exception(
                        InputChanged("input changed during the run: " + "; ".join(changed))
                    )
                )
        if parent_pid is not None and os.getppid() != parent_pid:
            raise SystemExit("mch run has gone; not moving an orphaned result into place")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report_failed = any(f.notebook == REPORT_NOTEBOOK for f in failures)
    if not failures:
        status = "done"
    elif ran and not report_failed and not changed:
        status = "partial"
    else:
        status = "failed"
    failures = [f.for_region(job.region) for f in failures]
    records = [f.to_dict() for f in failures]
    if records:
        write_text(
            staging / "error.json",
            json.dumps(
                {**records[0], "status": status, "failures": records},
                ensure_ascii=False,
                indent=2,
                sort_keys=True,
            )
            + "\n",
        )
    outputs = mf.output_digests(staging)
    doc = mf.build_manifest(
        region=job.region,
        parameters=job.parameters,
        inputs=list(job.inputs),
        notebooks=list(job.notebooks),
        input_hash_=job.input_hash,
        outputs=outputs,
        commit=job.commit,
        libraries=mf.library_versions(),
        status=status,
        failures=records,
    )
    write_bytes(staging / mf.MANIFEST, mf.manifest_bytes(doc))
    kept = False
    if status == "done" or (status == "partial" and not _previous_done(final)):
        replace_dir(staging, final)
        shutil.rmtree(job.failed_dir, ignore_errors=True)  # an older failure is history now
        location = job.code
    else:
        kept = final.is_dir() and mf.read_manifest(final) is not None
        job.failed_dir.parent.mkdir(exist_ok=True)
        replace_dir(staging, job.failed_dir)
        location = f"{FAILED_DIR}/{job.code}"
    return RegionResult(
        job.code,
        job.region["region_name"],
        job.region["level"],
        status,
        time.perf_counter() - start,
        outputs,
        location=location,
        kept=kept,
        failures=failures,
    )


def _title(nb, job: RegionJob, name: str) -> str:
    """The HTML page title: the 答卷's own title for the report, else the notebook's heading."""
    if html_name(name) == "report.html":
        from mchanalysis.report import title_for

        return title_for(job.region["region_name"], job.year, lang=job.parameters.get("lang", "zh"))
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
                    break
        if heading:
            break
    name = job.region["region_name"]
    return f"{heading} — {name}（{job.code}）{job.year}" if heading else f"{name}（{job.code}）{job.year}"


def earlier_results(year_dir: Path, *, exclude=()) -> list[RegionResult]:
    """Regions of *year_dir* as they are on disk (not in *exclude*), for the indexes: ``earlier``
    (a ``done`` result), ``partial``, or ``failed`` (the last attempt, in ``_failed/``; with
    ``kept`` when an earlier result still stands at ``<code>/``). Failures are read back from
    ``error.json`` and the manifests (:meth:`Failure.from_dict`)."""
    year_dir = Path(year_dir)
    out: list[RegionResult] = []
    if not year_dir.is_dir():
        return out
    codes = set()
    for base in (year_dir, year_dir / FAILED_DIR):
        if base.is_dir():
            codes |= {d.name for d in base.iterdir() if d.is_dir() and _CODE.fullmatch(d.name)}
    for code in sorted(codes - set(exclude)):
        final, failed = year_dir / code, year_dir / FAILED_DIR / code
        doc = mf.read_manifest(final) if final.is_dir() else None
        if failed.is_dir():
            try:
                err = json.loads((failed / "error.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                err = {}
            records = err.get("failures", [err] if err else [])
            out.append(
                RegionResult(
                    code,
                    err.get("region_name", ""),
                    err.get("level", ""),
                    "failed",
                    0.0,
                    mf.output_digests(failed),
                    location=f"{FAILED_DIR}/{code}",
                    kept=doc is not None,
                    failures=[Failure.from_dict(f) for f in records],
                )
            )
            continue
        if doc is None:
            continue
        reg = doc.get("region", {}) if isinstance(doc.get("region"), dict) else {}
        status = "earlier" if mf.status_of(doc) == "done" else "partial"
        out.append(
            RegionResult(
                code,
                str(reg.get("region_name", "")),
                str(reg.get("level", "")),
                status,
                0.0,
                doc.get("outputs", []),
                failures=[Failure.from_dict(f) for f in doc.get("failures", [])],
            )
        )
    return out
