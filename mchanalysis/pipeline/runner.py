"""The batch: every selected region's notebooks, executed, exported and recorded.

One region is one task (:func:`run_region`): its notebooks run in order in one kernel, in a
staging directory that becomes ``<out>/<year>/<region_code>/`` by an atomic rename once its
``manifest.json`` (written last) is in it. A failing notebook makes the region a *failed* result
(notebook, cell index, exception name and message) -- never an exception that stops the batch;
its directory then holds the partly executed notebook and ``error.json`` but no manifest, so
``--resume`` redoes it. Executors (:mod:`mchanalysis.pipeline.executors`) only decide where tasks
run.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mchanalysis.atomic import write_bytes, write_text
from mchanalysis.errors import MchError
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.notebook import CellFailure, NotebookFailed, notebook_bytes
from mchanalysis.pipeline.staging import new_staging_dir, remove_scratch_dirs, replace_dir

#: The notebook whose HTML export is the region's ``report.html``.
REPORT_NOTEBOOK = "04_annual_report.ipynb"
_CODE = re.compile(r"^[0-9A-Za-z]{1,32}$")


def html_name(notebook_name: str) -> str:
    """``report.html`` for the annual-report notebook, ``<stem>.html`` for the others."""
    return "report.html" if notebook_name == REPORT_NOTEBOOK else Path(notebook_name).stem + ".html"


def region_dir_name(code: str) -> str:
    """The directory name of a region: its code, checked to be safe as a path component."""
    if not _CODE.match(code):
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

    @property
    def code(self) -> str:
        return self.region["region_code"]

    @property
    def final_dir(self) -> Path:
        return Path(self.year_dir) / region_dir_name(self.code)


@dataclass
class RegionResult:
    """Outcome of one region: ``status`` is ``done``, ``failed`` or ``unchanged`` (resumed)."""

    region_code: str
    region_name: str
    level: str
    status: str
    seconds: float = 0.0
    failure: dict | None = None
    outputs: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def make_jobs(plan, *, fresh_kernels: bool = False) -> list[RegionJob]:
    """One :class:`RegionJob` per region of a checked :class:`~mchanalysis.pipeline.params.Plan`."""
    year_dir = Path(plan.config.out).resolve() / str(plan.year)
    commit = mf.git_commit()
    inputs = tuple(plan.inputs)
    notebooks = tuple(plan.notebooks)
    jobs = []
    for row in plan.regions.itertuples(index=False):
        code = str(row.region_code)
        region_dir_name(code)
        params = plan.notebook_parameters(code)
        h = mf.input_hash(inputs={i["role"]: i["sha256"] for i in inputs},
                          notebooks={n["name"]: n["sha256"] for n in notebooks},
                          parameters=params)
        jobs.append(RegionJob(
            region={"region_code": code, "region_name": str(row.region_name),
                    "level": str(row.level), "parent_code": str(row.parent_code)},
            year=int(plan.year), parameters=params, notebooks=notebooks, inputs=inputs,
            year_dir=str(year_dir), input_hash=h, commit=commit, timeout=plan.config.timeout,
            fresh_kernels=fresh_kernels,
        ))
    return jobs


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


def run_region(job: RegionJob, kernel=None, *, parent_pid: int | None = None) -> RegionResult:
    """Execute every notebook of one region into its directory; never raises for a notebook error.

    Parameters
    ----------
    job : RegionJob
    kernel : WarmKernel, optional
        A reused kernel; ``None`` with ``job.fresh_kernels`` runs papermill with new kernels.
    parent_pid : int, optional
        The pid of the ``mch run`` process; if it has died (SIGKILL) the result is not moved into
        place, so an orphaned worker never races a resumed run.
    """
    from mchanalysis.pipeline.html import export_html
    from mchanalysis.pipeline.notebook import execute_fresh

    start = time.perf_counter()
    final = job.final_dir
    staging = new_staging_dir(job.year_dir, job.code)
    failure: CellFailure | dict | None = None
    for spec in job.notebooks:
        name = spec["name"]
        try:
            if kernel is None:
                nb = execute_fresh(spec["path"], job.parameters, cwd=staging, timeout=job.timeout)
            else:
                nb = kernel.execute(spec["path"], job.parameters, cwd=staging, timeout=job.timeout)
        except NotebookFailed as exc:
            failure = exc.failure.to_dict()
            if exc.nb is not None:
                write_bytes(staging / name, notebook_bytes(exc.nb))
            break
        except Exception as exc:  # kernel died, timeout, ...: still a value, not a crash
            failure = {"notebook": name, "cell_index": None, "execution_count": None,
                       "ename": type(exc).__name__, "evalue": str(exc), "source": ""}
            break
        try:
            write_bytes(staging / name, notebook_bytes(nb))
            write_text(staging / html_name(name),
                       export_html(nb, title=_title(nb, job, name), lang=job.parameters.get("lang", "zh")))
        except Exception as exc:  # an export that fails is the region's failure too
            failure = {"notebook": name, "cell_index": None, "execution_count": None,
                       "ename": type(exc).__name__, "evalue": f"writing outputs: {exc}", "source": ""}
            break
    if parent_pid is not None and os.getppid() != parent_pid:
        raise SystemExit("mch run has gone; not moving an orphaned result into place")
    outputs = mf.output_digests(staging)
    if failure is not None:
        failure = {"region_code": job.code, "region_name": job.region["region_name"],
                   "level": job.region["level"], **failure}
        write_text(staging / "error.json",
                   json.dumps(failure, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        replace_dir(staging, final)
        return RegionResult(job.code, job.region["region_name"], job.region["level"], "failed",
                            time.perf_counter() - start, failure, outputs)
    doc = mf.build_manifest(
        region=job.region, parameters=job.parameters, inputs=list(job.inputs),
        notebooks=list(job.notebooks), input_hash_=job.input_hash, outputs=outputs,
        commit=job.commit, libraries=mf.library_versions(),
    )
    write_bytes(staging / mf.MANIFEST, mf.manifest_bytes(doc))
    replace_dir(staging, final)
    return RegionResult(job.code, job.region["region_name"], job.region["level"], "done",
                        time.perf_counter() - start, None, outputs)


@dataclass
class BatchResult:
    results: list
    index_path: Path | None
    seconds: float

    @property
    def failed(self) -> list:
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        counts = {s: sum(r.status == s for r in self.results) for s in ("done", "unchanged", "failed")}
        lines = [f"{len(self.results)} region(s): {counts['done']} done, {counts['unchanged']} "
                 f"unchanged, {counts['failed']} failed in {self.seconds:.1f} s"]
        for r in self.failed:
            f = r.failure or {}
            cell = f.get("cell_index")
            where = f"{f.get('notebook')}, cell {cell}" if cell is not None else f"{f.get('notebook')}"
            lines.append(f"  FAILED {r.region_code} {r.region_name}: {where}: {f.get('ename')}: "
                         f"{_one_line(f.get('evalue', ''))}")
        if self.index_path is not None:
            lines.append(f"index: {self.index_path}")
        return "\n".join(lines)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_batch(plan, *, executor=None, fresh_kernels: bool = False) -> BatchResult:
    """Run a checked plan: skip complete regions if resuming, execute the rest, write the index.

    Parameters
    ----------
    plan : mchanalysis.pipeline.params.Plan
    executor : object with ``map_unordered(jobs)``, optional
        Default: :class:`~mchanalysis.pipeline.executors.LocalExecutor` with ``plan.config.jobs``
        workers, or :class:`~mchanalysis.pipeline.executors.DaskExecutor` for ``executor='dask'``.
    fresh_kernels : bool
        Run each notebook with papermill in a new kernel (slow reference path).
    """
    from mchanalysis.pipeline import executors as ex
    from mchanalysis.pipeline.index import write_index

    start = time.perf_counter()
    config = plan.config
    jobs = make_jobs(plan, fresh_kernels=fresh_kernels)
    year_dir = Path(config.out).resolve() / str(plan.year)
    year_dir.mkdir(parents=True, exist_ok=True)
    remove_scratch_dirs(year_dir)
    results: dict[str, RegionResult] = {}
    todo = []
    for job in jobs:
        if config.resume and mf.is_complete(job.final_dir, job.input_hash):
            doc = mf.read_manifest(job.final_dir)
            results[job.code] = RegionResult(job.code, job.region["region_name"],
                                             job.region["level"], "unchanged", 0.0, None,
                                             doc.get("outputs", []))
        else:
            todo.append(job)
    if executor is None:
        if config.executor == "dask":
            executor = ex.DaskExecutor(config.scheduler)
        else:
            executor = ex.LocalExecutor(jobs=config.jobs)
    progress = _Progress(len(jobs), done=len(results), enabled=config.progress)
    try:
        for res in executor.map_unordered(todo):
            results[res.region_code] = res
            progress.update(res)
    finally:
        progress.close()
    ordered = [results[j.code] for j in jobs if j.code in results]
    earlier = earlier_results(year_dir, exclude={r.region_code for r in ordered})
    index = write_index(Path(config.out).resolve(), plan.year, ordered + earlier)
    return BatchResult(ordered, index, time.perf_counter() - start)


def earlier_results(year_dir: Path, *, exclude=()) -> list[RegionResult]:
    """Regions of *year_dir* left by earlier runs (not in *exclude*), for the index: status
    ``earlier`` (complete, from its manifest) or ``failed`` (from its ``error.json``)."""
    out = []
    for d in sorted(Path(year_dir).iterdir()) if Path(year_dir).is_dir() else []:
        if not d.is_dir() or d.name.startswith(".") or d.name in exclude:
            continue
        doc = mf.read_manifest(d)
        if doc is not None:
            reg = doc.get("region", {})
            out.append(RegionResult(d.name, reg.get("region_name", ""), reg.get("level", ""),
                                    "earlier", 0.0, None, doc.get("outputs", [])))
            continue
        try:
            err = json.loads((d / "error.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append(RegionResult(d.name, err.get("region_name", ""), err.get("level", ""), "failed",
                                0.0, err, mf.output_digests(d)))
    return out


class _Progress:
    """tqdm on stderr: done / failed / remaining and the ETA."""

    def __init__(self, total: int, *, done: int = 0, enabled: bool = True):
        self.done, self.failed, self.total = done, 0, total
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            class _Bar(tqdm):
                monitor_interval = 0  # no monitor thread: worker processes can then be forked

            self.bar = _Bar(total=total, initial=done, file=sys.stderr, unit="region",
                            dynamic_ncols=True, desc="mch run")
            self._postfix()

    def _postfix(self):
        remaining = self.total - self.done - self.failed
        self.bar.set_postfix_str(f"done={self.done} failed={self.failed} remaining={remaining}")

    def update(self, res: RegionResult):
        if res.status == "failed":
            self.failed += 1
        else:
            self.done += 1
        if self.bar is not None:
            self._postfix()
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
