"""The batch: every selected region's notebooks, executed, exported and recorded.

One region is one task, :func:`mchanalysis.pipeline.jobs.run_region` (where each status puts
its outputs is said there). The runner makes the tasks (:func:`make_jobs`), hands them to an
executor (:mod:`mchanalysis.pipeline.executors`, which only decides where tasks run and knows
nothing of the runner), collects the results as they come, and writes the run summary
(``run.json``) and the indexes (:mod:`mchanalysis.pipeline.index`).

A failure is a value (:class:`~mchanalysis.pipeline.failure.Failure`), never an exception that
stops the batch; the one exception is an input file changed mid-run (``InputChanged``), which
fails that region and stops the batch, so one batch never mixes two versions of its inputs. The
output folder is locked for the whole run (:mod:`mchanalysis.pipeline.lock`).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from mchanalysis.atomic import write_text
from mchanalysis.errors import MchError
from mchanalysis.pipeline import executors as ex
from mchanalysis.pipeline import manifest as mf
from mchanalysis.pipeline.index import write_top_index, write_year_index
from mchanalysis.pipeline.jobs import (
    FAILED_DIR,
    RUN_SUMMARY,
    STOP,
    RegionJob,
    RegionResult,
    earlier_results,
    region_dir_name,
)
from mchanalysis.pipeline.lock import OutputLock
from mchanalysis.pipeline.staging import remove_scratch_dirs

#: Sub-folder of ``<out>/<year>/`` holding the batch's shared tables while it runs.
SHARED_DIR = ".shared"


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
        h = mf.input_hash(
            inputs={i["role"]: i["sha256"] for i in inputs},
            notebooks={n["name"]: n["sha256"] for n in notebooks},
            parameters=params,
        )
        jobs.append(
            RegionJob(
                region={
                    "region_code": code,
                    "region_name": str(row.region_name),
                    "level": str(row.level),
                    "parent_code": str(row.parent_code),
                },
                year=int(plan.year),
                parameters=params,
                notebooks=notebooks,
                inputs=inputs,
                year_dir=str(year_dir),
                input_hash=h,
                commit=commit,
                timeout=plan.config.timeout,
                fresh_kernels=fresh_kernels,
                owner_pid=os.getpid(),
            )
        )
    return jobs


def _on_stop_signal(signum, frame):
    """Ctrl-C or SIGTERM in ``mch run``. With a kernel of this process busy (``--jobs 1``), kill
    that kernel and let the region notice :data:`STOP` (an exception thrown into the asyncio
    loop driving the kernel can be swallowed there); otherwise raise KeyboardInterrupt."""
    STOP.set()
    kernel = ex.current_kernel()
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
        return {
            s: sum(r.status == s for r in self.results)
            for s in ("done", "unchanged", "partial", "failed", "stopped")
        }

    def summary(self) -> str:
        c = self.counts()
        lines = [
            f"{len(self.results)} region(s): {c['done']} done, {c['unchanged']} unchanged, "
            f"{c['partial']} partial, {c['failed']} failed, {c['stopped']} stopped "
            f"in {self.seconds:.1f} s"
        ]
        if self.stopped_by:
            lines.append(f"  STOPPED: {_one_line(self.stopped_by)}")
        for r in self.failed:
            for f in r.failures:
                lines.append(
                    f"  {r.status.upper()} {r.region_code} {_one_line(r.region_name, 60)}: "
                    f"{f.where}: {f.ename}: {_one_line(f.evalue)}"
                )
            if r.location:
                lines.append(
                    f"    outputs in {r.location}/"
                    + ("; the previous complete report is kept" if r.kept else "")
                )
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
            "year": int(year),
            "status": overall,
            "stopped_by": self.stopped_by,
            "counts": self.counts(),
            "regions": [
                {
                    "region_code": r.region_code,
                    "region_name": r.region_name,
                    "level": r.level,
                    "status": r.status,
                    "location": r.location,
                    "previous_kept": r.kept,
                    "failures": [f.to_dict() for f in r.failures],
                }
                for r in self.results
            ],
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
    out = Path(plan.config.out).resolve()
    year_dir = out / str(plan.year)
    _prepare_out(out, year_dir)
    try:
        with OutputLock(out, wait=wait), _StopSignals():
            return _run_locked(plan, out, year_dir, executor, fresh_kernels)
    except OSError as exc:  # full disk, permissions changed under us, ...
        raise MchError(f"cannot write the outputs: {exc.strerror or exc}", file=exc.filename or out) from None


def _run_locked(plan, out: Path, year_dir: Path, executor, fresh_kernels: bool) -> BatchResult:
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
            results[job.code] = RegionResult(
                job.code,
                job.region["region_name"],
                job.region["level"],
                "unchanged",
                0.0,
                doc.get("outputs", []),
            )
        else:
            todo.append(job)
    # lazy: the analysis layer brings the statistics; verify and the indexes import this module
    from mchanalysis.analysis.data import SHARED_ENV

    executor = executor if executor is not None else _executor(config)
    previous_env = os.environ.get(SHARED_ENV)
    try:
        # the kernels the workers start inherit the folder of the shared tables; a kernel finds
        # them there when its first region runs (they are written by then), or computes them
        # when they could not be written
        os.environ[SHARED_ENV] = str(year_dir / SHARED_DIR)
        starting = getattr(executor, "start", None)
        if todo and starting is not None:  # local workers start their kernels during the build
            starting(len(todo), warm=not all(job.fresh_kernels for job in todo), langs=ex.report_langs(todo))
        try:
            shared = _write_shared_tables(plan, year_dir) if todo else None
        except KeyboardInterrupt:  # Ctrl-C while building: every region to do is stopped
            shutil.rmtree(year_dir / SHARED_DIR, ignore_errors=True)
            return _run_todo(plan, out, year_dir, executor, jobs, [], results, start, interrupted=True)
        if shared is not None:
            todo = [replace(job, shared_tables=str(shared)) for job in todo]
        return _run_todo(plan, out, year_dir, executor, jobs, todo, results, start)
    finally:
        if previous_env is None:
            os.environ.pop(SHARED_ENV, None)
        else:
            os.environ[SHARED_ENV] = previous_env
        shutil.rmtree(year_dir / SHARED_DIR, ignore_errors=True)


def _write_shared_tables(plan, year_dir: Path) -> Path | None:
    """Build the whole-file tables once for the batch (``<year>/.shared/<sha256>/``), before
    any worker starts, so no kernel rebuilds them; None if they cannot be stored (then every
    kernel computes them, as a notebook run by hand does). The folder is not an output: no
    manifest lists it, and it is removed when the batch ends."""
    from mchanalysis.analysis.data import write_shared_tables

    folder = year_dir / SHARED_DIR
    shutil.rmtree(folder, ignore_errors=True)  # a killed run's: rebuilt, never reused
    try:
        data_path = getattr(plan, "data_path", None)
        written = write_shared_tables(data_path, folder) if data_path else None
    except Exception:  # an unreadable or invalid file: each region reports it from its notebooks
        written = None
    gc.collect()  # the tables are on disk: free them
    return folder if written is not None else None


def _executor(config):
    """The executor the configuration asks for: a Dask cluster, or local worker processes."""
    if config.executor == "dask":
        return ex.DaskExecutor(config.scheduler)
    return ex.LocalExecutor(jobs=config.jobs)


def _run_todo(
    plan, out, year_dir, executor, jobs, todo, results, start, *, interrupted: bool = False
) -> BatchResult:
    config = plan.config
    if executor is None:
        executor = _executor(config)
    progress = _Progress(len(jobs), done=len(results), enabled=config.progress)
    stopped_by = "interrupted (Ctrl-C)" if interrupted else None
    stream = executor.map_unordered(todo)
    try:
        for res in stream:
            results[res.region_code] = res
            progress.update(res)
            changed = [f for f in res.failures if f.ename == "InputChanged"]
            if changed:
                stopped_by = changed[0].evalue
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
            results[job.code] = RegionResult(
                job.code,
                job.region["region_name"],
                job.region["level"],
                "done",
                0.0,
                mf.read_manifest(job.final_dir).get("outputs", []),
            )
        if job.code not in results:
            results[job.code] = RegionResult(
                job.code,
                job.region["region_name"],
                job.region["level"],
                "stopped",
                0.0,
                [],
                kept=mf.read_manifest(job.final_dir) is not None,
            )
    ordered = [results[j.code] for j in jobs]
    if stopped_by:  # what the stopped regions' (killed) workers left
        remove_scratch_dirs(year_dir, own=True)
        remove_scratch_dirs(year_dir / FAILED_DIR, own=True)
    batch = BatchResult(ordered, None, time.perf_counter() - start, stopped_by, interrupted)
    write_text(
        year_dir / RUN_SUMMARY,
        json.dumps(batch.summary_doc(plan.year), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
    )
    batch.index_path = write_indexes(out, plan.year, ordered)
    return batch


def write_indexes(out: Path, year: int, results: list) -> Path:
    """Rewrite ``<out>/<year>/index.html`` (this run's regions first, then earlier ones) and the
    top ``<out>/index.html`` (every year present); return the year's index path."""
    year_dir = Path(out) / str(year)
    shown = list(results)
    earlier = {r.region_code: r for r in earlier_results(year_dir)}
    for i, r in enumerate(shown):  # a stopped region: show what is on disk for it, if anything
        if r.status == "stopped" and r.region_code in earlier:
            e = earlier[r.region_code]
            shown[i] = RegionResult(
                r.region_code,
                r.region_name,
                r.level,
                "stopped",
                0.0,
                e.outputs,
                location=e.location,
                kept=True,
            )
    mine = {r.region_code for r in shown}
    path = write_year_index(year_dir, year, shown + [r for c, r in earlier.items() if c not in mine])
    write_top_index(Path(out))
    return path


class _Progress:
    """tqdm on stderr: done / failed / remaining and the ETA."""

    def __init__(self, total: int, *, done: int = 0, enabled: bool = True):
        self.done, self.failed, self.total = done, 0, total
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            class _Bar(tqdm):
                monitor_interval = 0  # no monitor thread: worker processes can then be forked

            self.bar = _Bar(
                total=total,
                initial=done,
                file=sys.stderr,
                unit="region",
                dynamic_ncols=True,
                desc="mch run",
                disable=None,
            )  # terminals only
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
