"""The batch: every selected region's notebooks, executed, exported and recorded.

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

A failure is a value (notebook, cell index, exception name and message), never an exception
that stops the batch. Nothing injected: the data, target and notebook files are hashed when the
run is planned and re-hashed before and after each region; a file changed mid-run fails that
region and stops the batch, so one batch never mixes two versions of its inputs. The output
folder is locked for the whole run (:mod:`mchanalysis.pipeline.lock`). Executors
(:mod:`mchanalysis.pipeline.executors`) only decide where tasks run.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mchanalysis.atomic import write_bytes, write_text
from mchanalysis.errors import MchError
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.notebook import NotebookFailed, notebook_bytes
from mchanalysis.pipeline.params import OPTIONAL_NOTEBOOK_PARAMETERS
from mchanalysis.pipeline.staging import new_staging_dir, remove_scratch_dirs, replace_dir

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
    """

    region_code: str
    region_name: str
    level: str
    status: str
    seconds: float = 0.0
    failure: dict | None = None
    outputs: list = field(default_factory=list)
    location: str | None = None
    kept: bool = False
    failures: list = field(default_factory=list)

    def __post_init__(self):
        if self.location is None and self.status in ("done", "unchanged", "earlier", "partial"):
            self.location = self.region_code

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
        params = {**plan.notebook_parameters(code), **plan.optional_parameters()}
        h = mf.input_hash(inputs={i["role"]: i["sha256"] for i in inputs},
                          notebooks={n["name"]: n["sha256"] for n in notebooks},
                          parameters=params)
        jobs.append(RegionJob(
            region={"region_code": code, "region_name": str(row.region_name),
                    "level": str(row.level), "parent_code": str(row.parent_code)},
            year=int(plan.year), parameters=params, notebooks=notebooks, inputs=inputs,
            year_dir=str(year_dir), input_hash=h, commit=commit, timeout=plan.config.timeout,
            fresh_kernels=fresh_kernels, owner_pid=os.getpid(),
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


#: Set by Ctrl-C / SIGTERM during :func:`run_batch`: the region in progress stops, unrecorded.
STOP = threading.Event()


def _on_stop_signal(signum, frame):
    """Ctrl-C or SIGTERM in ``mch run``. With a kernel of this process busy (``--jobs 1``), kill
    that kernel and let the region notice :data:`STOP` (an exception thrown into the asyncio
    loop driving the kernel can be swallowed there); otherwise raise KeyboardInterrupt."""
    STOP.set()
    from mchanalysis.pipeline import executors as ex

    kernel = getattr(ex._state, "kernel", None)
    if kernel is not None and getattr(kernel, "busy", False):
        kernel.kill_process()
        return
    raise KeyboardInterrupt


class _StopSignals:
    """Install :func:`_on_stop_signal` for SIGINT and SIGTERM (main thread only)."""

    def __enter__(self):
        STOP.clear()
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, _on_stop_signal)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        return False


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


def _failure(name, exc, prefix: str = "") -> dict:
    return {"notebook": name, "cell_index": None, "execution_count": None,
            "ename": type(exc).__name__, "evalue": prefix + str(exc), "source": ""}


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
    from mchanalysis.pipeline.export import export_html
    from mchanalysis.pipeline.notebook import execute_fresh

    start = time.perf_counter()
    final = job.final_dir
    staging = new_staging_dir(job.year_dir, job.code, owner=job.owner_pid)
    failures: list[dict] = []
    ran: list[str] = []
    try:
        changed = changed_inputs(job)
        if changed:
            failures.append(_failure(None, InputChanged("input changed during the run: "
                                                        + "; ".join(changed))))
        for spec in job.notebooks if not changed else ():
            if STOP.is_set():
                raise KeyboardInterrupt
            name = spec["name"]
            declared = _declared(spec["path"], spec["sha256"])
            params = {k: v for k, v in job.parameters.items()
                      if k not in OPTIONAL_NOTEBOOK_PARAMETERS or k in declared}
            if "missing_sections" in declared:
                params["missing_sections"] = [f["notebook"] for f in failures]
            try:
                if kernel is None:
                    nb = execute_fresh(spec["path"], params, cwd=staging, timeout=job.timeout)
                else:
                    nb = kernel.execute(spec["path"], params, cwd=staging, timeout=job.timeout)
            except NotebookFailed as exc:
                failures.append(exc.failure.to_dict())
                if exc.nb is not None:
                    write_bytes(staging / name, notebook_bytes(exc.nb))
                continue
            except MchError as exc:  # a parameter refused before injection: same for all
                failures.append(_failure(name, exc))
                break
            except Exception as exc:  # kernel died, timeout, ...: still a value, not a crash
                failures.append(_failure(name, exc))
                continue
            try:
                write_bytes(staging / name, notebook_bytes(nb))
                write_text(staging / html_name(name),
                           export_html(nb, title=_title(nb, job, name),
                                       lang=job.parameters.get("lang", "zh")))
            except Exception as exc:  # an export that fails is a failure of that notebook
                failures.append(_failure(name, exc, "writing outputs: "))
                continue
            ran.append(name)
        if STOP.is_set():  # the failure above may be the kernel killed by Ctrl-C
            raise KeyboardInterrupt
        if not changed:
            changed = changed_inputs(job)  # a file edited while the notebooks read it
            if changed:
                failures.append(_failure(None, InputChanged("input changed during the run: "
                                                            + "; ".join(changed))))
        if parent_pid is not None and os.getppid() != parent_pid:
            raise SystemExit("mch run has gone; not moving an orphaned result into place")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report_failed = any(f.get("notebook") == REPORT_NOTEBOOK for f in failures)
    if not failures:
        status = "done"
    elif ran and not report_failed and not changed:
        status = "partial"
    else:
        status = "failed"
    region = {"region_code": job.code, "region_name": job.region["region_name"],
              "level": job.region["level"]}
    failures = [{**region, **f} for f in failures]
    if failures:
        write_text(staging / "error.json",
                   json.dumps({**failures[0], "status": status, "failures": failures},
                              ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    outputs = mf.output_digests(staging)
    doc = mf.build_manifest(
        region=job.region, parameters=job.parameters, inputs=list(job.inputs),
        notebooks=list(job.notebooks), input_hash_=job.input_hash, outputs=outputs,
        commit=job.commit, libraries=mf.library_versions(), status=status, failures=failures,
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
    return RegionResult(job.code, job.region["region_name"], job.region["level"], status,
                        time.perf_counter() - start, failures[0] if failures else None, outputs,
                        location=location, kept=kept, failures=failures)


@dataclass
class BatchResult:
    results: list
    index_path: Path | None
    seconds: float
    stopped_by: str | None = None  # "interrupted" (Ctrl-C) or the reason the batch stopped
    interrupted: bool = False

    @property
    def failed(self) -> list:
        return [r for r in self.results if r.status in ("failed", "partial")]

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 1 if any region is failed, partial or stopped, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed or any(r.status == "stopped" for r in self.results) else 0

    def counts(self) -> dict:
        return {s: sum(r.status == s for r in self.results)
                for s in ("done", "unchanged", "partial", "failed", "stopped")}

    def summary(self) -> str:
        c = self.counts()
        lines = [f"{len(self.results)} region(s): {c['done']} done, {c['unchanged']} unchanged, "
                 f"{c['partial']} partial, {c['failed']} failed, {c['stopped']} stopped "
                 f"in {self.seconds:.1f} s"]
        if self.stopped_by:
            lines.append(f"  STOPPED: {_one_line(self.stopped_by)}")
        for r in self.failed:
            for f in r.failures or [r.failure or {}]:
                cell = f.get("cell_index")
                nb = f.get("notebook") or "before the notebooks"
                where = f"{nb}, cell {cell}" if cell is not None else nb
                lines.append(f"  {r.status.upper()} {r.region_code} {_one_line(r.region_name, 60)}: "
                             f"{where}: {f.get('ename')}: {_one_line(f.get('evalue', ''))}")
            if r.location:
                lines.append(f"    outputs in {r.location}/" + ("; the previous complete report is kept"
                                                                 if r.kept else ""))
        if self.index_path is not None:
            lines.append(f"index: {self.index_path}")
        return "\n".join(lines)

    def summary_doc(self, year: int) -> dict:
        """The run summary written to ``<out>/<year>/run.json`` (no timings: deterministic)."""
        if self.interrupted:
            overall = "stopped"
        elif self.stopped_by:
            overall = "stopped"
        elif self.failed:
            overall = "failed"
        else:
            overall = "done"
        return {
            "year": int(year), "status": overall, "stopped_by": self.stopped_by,
            "counts": self.counts(),
            "regions": [{"region_code": r.region_code, "region_name": r.region_name,
                         "level": r.level, "status": r.status, "location": r.location,
                         "previous_kept": r.kept, "failures": r.failures}
                        for r in self.results],
        }


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prepare_out(out: Path, year_dir: Path) -> None:
    """Create the output folders, or a one-line error for a path that cannot be one."""
    for d in (out, year_dir):
        if d.exists() and not d.is_dir():
            raise MchError("the output folder is a file, not a folder", file=d)
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MchError(f"cannot create the output folder: {exc.strerror or exc}", file=d) from None
    if not os.access(year_dir, os.W_OK | os.X_OK):
        raise MchError("the output folder is not writable", file=year_dir)


def run_batch(plan, *, executor=None, fresh_kernels: bool = False, wait: bool = False) -> BatchResult:
    """Run a checked plan under the output folder's lock: skip complete regions if resuming,
    execute the rest, write the run summary and the indexes (also after Ctrl-C).

    Parameters
    ----------
    plan : mchanalysis.pipeline.params.Plan
    executor : object with ``map_unordered(jobs)``, optional
        Default: :class:`~mchanalysis.pipeline.executors.LocalExecutor` with ``plan.config.jobs``
        workers, or :class:`~mchanalysis.pipeline.executors.DaskExecutor` for ``executor='dask'``.
    fresh_kernels : bool
        Run each notebook with papermill in a new kernel (slow reference path).
    wait : bool
        If another run holds the output folder, wait for it instead of failing.

    Raises
    ------
    MchError
        The output folder cannot be created or written, or is locked by another run.
    """
    from mchanalysis.pipeline.lock import OutputLock

    out = Path(plan.config.out).resolve()
    year_dir = out / str(plan.year)
    _prepare_out(out, year_dir)
    try:
        with OutputLock(out, wait=wait), _StopSignals():
            return _run_locked(plan, out, year_dir, executor, fresh_kernels)
    except OSError as exc:  # full disk, permissions changed under us, ...
        raise MchError(f"cannot write the outputs: {exc.strerror or exc}",
                       file=exc.filename or out) from None


def _run_locked(plan, out: Path, year_dir: Path, executor, fresh_kernels: bool) -> BatchResult:
    from mchanalysis.pipeline import executors as ex

    start = time.perf_counter()
    config = plan.config
    jobs = make_jobs(plan, fresh_kernels=fresh_kernels)
    remove_scratch_dirs(year_dir)
    remove_scratch_dirs(year_dir / FAILED_DIR)
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
    stopped_by = None
    interrupted = False
    stream = executor.map_unordered(todo)
    try:
        for res in stream:
            results[res.region_code] = res
            progress.update(res)
            changed = [f for f in res.failures if f.get("ename") == "InputChanged"]
            if changed:
                stopped_by = changed[0]["evalue"]
                break
    except KeyboardInterrupt:
        interrupted = True
        stopped_by = "interrupted (Ctrl-C)"
    finally:
        try:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # cancels queued regions, stops workers still running one
        finally:
            progress.close()
    for job in jobs:
        if job.code not in results and stopped_by and mf.is_complete(job.final_dir, job.input_hash):
            # finished by a worker just before the stop, not yet collected: it is done
            results[job.code] = RegionResult(job.code, job.region["region_name"], job.region["level"],
                                             "done", 0.0, None,
                                             mf.read_manifest(job.final_dir).get("outputs", []))
        if job.code not in results:
            results[job.code] = RegionResult(job.code, job.region["region_name"], job.region["level"],
                                             "stopped", 0.0, None, [],
                                             kept=mf.read_manifest(job.final_dir) is not None)
    ordered = [results[j.code] for j in jobs]
    if stopped_by:  # what the stopped regions' (killed) workers left
        remove_scratch_dirs(year_dir, own=True)
        remove_scratch_dirs(year_dir / FAILED_DIR, own=True)
    batch = BatchResult(ordered, None, time.perf_counter() - start, stopped_by, interrupted)
    write_text(year_dir / RUN_SUMMARY,
               json.dumps(batch.summary_doc(plan.year), ensure_ascii=False, indent=2,
                          sort_keys=True) + "\n")
    batch.index_path = write_indexes(out, plan.year, ordered)
    return batch


def write_indexes(out: Path, year: int, results: list) -> Path:
    """Rewrite ``<out>/<year>/index.html`` (this run's regions first, then earlier ones) and the
    top ``<out>/index.html`` (every year present); return the year's index path."""
    from mchanalysis.pipeline.index import write_top_index, write_year_index

    year_dir = Path(out) / str(year)
    shown = list(results)
    earlier = {r.region_code: r for r in earlier_results(year_dir)}
    for i, r in enumerate(shown):  # a stopped region: show what is on disk for it, if anything
        if r.status == "stopped" and r.region_code in earlier:
            e = earlier[r.region_code]
            shown[i] = RegionResult(r.region_code, r.region_name, r.level, "stopped", 0.0, None,
                                    e.outputs, location=e.location, kept=True)
    mine = {r.region_code for r in shown}
    path = write_year_index(year_dir, year, shown + [r for c, r in earlier.items() if c not in mine])
    write_top_index(Path(out))
    return path


def earlier_results(year_dir: Path, *, exclude=()) -> list[RegionResult]:
    """Regions of *year_dir* as they are on disk (not in *exclude*), for the indexes: ``earlier``
    (a ``done`` result), ``partial``, or ``failed`` (the last attempt, in ``_failed/``; with
    ``kept`` when an earlier result still stands at ``<code>/``)."""
    year_dir = Path(year_dir)
    out = []
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
            out.append(RegionResult(code, err.get("region_name", ""), err.get("level", ""),
                                    "failed", 0.0, err or None, mf.output_digests(failed),
                                    location=f"{FAILED_DIR}/{code}", kept=doc is not None,
                                    failures=err.get("failures", [err] if err else [])))
            continue
        if doc is None:
            continue
        reg = doc.get("region", {}) if isinstance(doc.get("region"), dict) else {}
        status = "earlier" if mf.status_of(doc) == "done" else "partial"
        out.append(RegionResult(code, str(reg.get("region_name", "")), str(reg.get("level", "")),
                                status, 0.0, None, doc.get("outputs", []),
                                failures=doc.get("failures", [])))
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
                            dynamic_ncols=True, desc="mch run", disable=None)  # terminals only
            self._postfix()

    def _postfix(self):
        remaining = self.total - self.done - self.failed
        self.bar.set_postfix_str(f"done={self.done} failed={self.failed} remaining={remaining}")

    def update(self, res: RegionResult):
        if res.status in ("failed", "partial", "stopped"):
            self.failed += 1
        else:
            self.done += 1
        if self.bar is not None:
            self._postfix()
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
