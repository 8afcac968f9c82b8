"""Where region tasks run: a local pool of worker processes, or a Dask distributed cluster.

Both run the same task, :func:`run_job`, which executes a region
(:func:`mchanalysis.pipeline.jobs.run_region`) with the worker's warm kernel (one
:class:`~mchanalysis.pipeline.notebook.WarmKernel` per worker process, started once and reused
for every notebook of every region it is given), so outputs are identical whichever executor ran
them. An executor only has to offer ``map_unordered(jobs)`` yielding
:class:`~mchanalysis.pipeline.jobs.RegionResult` as regions finish; an exception outside a
notebook (a kernel that cannot start, a worker that died) becomes a failed result too, with the
same :class:`~mchanalysis.pipeline.failure.Failure` as a notebook's. Like papermill's engines,
the executors know nothing of the runner that calls them: they import the task and its values
(:mod:`mchanalysis.pipeline.jobs`), never :mod:`mchanalysis.pipeline.runner`.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import multiprocessing
import os
import threading
import time
import uuid

from mchanalysis.pipeline.failure import Failure
from mchanalysis.pipeline.jobs import RegionJob, RegionResult, run_region
from mchanalysis.pipeline.notebook import WarmKernel

_state = threading.local()
_parent_pid: int | None = None


def _worker_kernel(langs=()):
    kernel = getattr(_state, "kernel", None)
    if kernel is None:
        kernel = WarmKernel(langs=langs)
        kernel.start()
        _state.kernel = kernel
        atexit.register(kernel.close)
    return kernel


def current_kernel() -> WarmKernel | None:
    """This thread's warm kernel, if one was started (``mch run``'s Ctrl-C handler kills it when
    it is busy)."""
    return getattr(_state, "kernel", None)


def shutdown_worker_kernel(*, kill: bool = False) -> None:
    """Stop this thread's warm kernel, if any (*kill*: at once, after an interruption)."""
    kernel = getattr(_state, "kernel", None)
    if kernel is not None:
        _state.kernel = None
        if kill:
            kernel.kill()
            try:
                kernel.loop.close()
            except Exception:  # a loop interrupted while running cannot always be closed
                pass
        else:
            kernel.close()


def run_job(job: RegionJob) -> RegionResult:
    """The task: run one region with this worker's warm kernel (or fresh kernels if asked).

    A kernel started here inherits the location of the batch's shared tables (a Dask worker
    learns it from the job; a pool worker from ``mch run``'s environment)."""
    if job.shared_tables:
        from mchanalysis.analysis.data import SHARED_ENV

        os.environ[SHARED_ENV] = job.shared_tables
    kernel = None if job.fresh_kernels else _worker_kernel(report_langs([job]))
    return run_region(job, kernel, parent_pid=_parent_pid)


def report_langs(jobs) -> tuple:
    """The report languages of *jobs*, whose templates a new kernel compiles while warming up."""
    return tuple(sorted({str(job.parameters.get("lang", "zh")) for job in jobs}))


def _warm_dask_worker(langs: tuple, shared_env: str | None) -> bool:
    """On a Dask worker: start this worker thread's kernel, with the batch's shared tables'
    folder in its environment (what :func:`run_job` sets before a kernel starts)."""
    if shared_env:
        from mchanalysis.analysis.data import SHARED_ENV

        os.environ[SHARED_ENV] = shared_env
    _worker_kernel(langs)
    return True


def _failed(job: RegionJob, exc: BaseException) -> RegionResult:
    """A region whose task raised (nothing written: the task removes its staging directory)."""
    failure = Failure.from_exception(exc).for_region(job.region)
    return RegionResult(
        job.code, job.region["region_name"], job.region["level"], "failed", 0.0, failures=[failure]
    )


def _init_pool_worker(parent_pid: int, warm: bool, langs: tuple = ()) -> None:
    global _parent_pid
    _parent_pid = parent_pid
    import signal
    from multiprocessing.util import Finalize

    from mchanalysis.pipeline.processes import die_with_parent

    # Ctrl-C is the parent's to handle (it cancels the batch and stops the workers); a worker
    # that took it too would record the region in flight as a failure
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)  # SIGKILL when mch run dies (Linux), see processes.py

    Finalize(None, shutdown_worker_kernel, exitpriority=100)
    if warm:
        _worker_kernel(langs)  # start the kernel while the parent is still submitting


def _pool_context():
    """``fork`` when it is safe (POSIX, no other Python thread in this process): the workers
    then inherit the modules already imported here (≈ 2 s of imports each with ``spawn``);
    ``spawn`` otherwise. Kernels are never forked: each worker starts its own."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        from mchanalysis.pipeline.export import preload

        preload()
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class LocalExecutor:
    """Regions on this machine: ``jobs`` worker processes, each with one warm kernel.

    ``jobs=1`` runs in the calling process (no pool). Default ``jobs``: ``os.cpu_count()``,
    never more than the number of regions.
    """

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs or os.cpu_count() or 1
        self._pool: cf.ProcessPoolExecutor | None = None

    def _new_pool(self, n: int, warm: bool, langs: tuple = ()) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=n,
            mp_context=_pool_context(),
            initializer=_init_pool_worker,
            initargs=(os.getpid(), warm, tuple(langs)),
        )

    def start(self, n_regions: int, *, warm: bool = True, langs: tuple = ()) -> None:
        """Start the workers and their kernels now, before the regions are submitted: the
        runner builds the batch's shared tables meanwhile, while each worker's kernel starts
        and imports (about 3 s) on the other core. Nothing for a single worker (``jobs=1``
        runs in this process). :meth:`map_unordered` uses these workers."""
        n = min(self.jobs, n_regions)
        if n <= 1 or self._pool is not None:
            return
        self._pool = self._new_pool(n, warm, langs)
        self._pool.submit(int)  # starts the workers (forked: all at once); each starts its kernel

    def map_unordered(self, jobs: list[RegionJob]):
        if not jobs:
            if self._pool is not None:  # started, then nothing to run (e.g. Ctrl-C while building)
                _kill_pool(self._pool)
                self._pool = None
            return
        n = min(self.jobs, len(jobs))
        if n == 1:
            finished = False
            try:
                for job in jobs:
                    try:
                        res = run_job(job)
                    except Exception as exc:
                        res = _failed(job, exc)
                    yield res
                finished = True
            finally:  # Ctrl-C or a stopped batch: the kernel may be mid-notebook, kill it
                shutdown_worker_kernel(kill=not finished)
            return
        warm = not all(j.fresh_kernels for j in jobs)
        pool, self._pool = (self._pool or self._new_pool(n, warm, report_langs(jobs))), None
        finished = False
        try:
            futures = {pool.submit(run_job, job): job for job in jobs}
            for fut in cf.as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # BrokenProcessPool, kernel start failure, ...
                    res = _failed(job, exc)
                yield res
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # Ctrl-C, or the consumer stopped the batch: cancel the queue, stop the workers
                _kill_pool(pool)


def _kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel queued tasks and kill the workers now (their kernels die with them, see
    :mod:`mchanalysis.pipeline.processes`); a killed worker's staging directory is removed by
    the runner."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()
        except Exception:  # pragma: no cover - already gone
            pass
    for p in procs:
        try:
            p.join(timeout=10)
        except Exception:  # pragma: no cover
            pass


class DaskExecutor:
    """Regions on a Dask distributed cluster at ``scheduler`` (e.g. ``tcp://127.0.0.1:8786``).

    Workers must see the same file system paths (data, notebooks, output directory) and have the
    package installed. Each worker process keeps one warm kernel per worker thread.
    """

    def __init__(self, scheduler: str, *, timeout: str = "30s"):
        self.scheduler = scheduler
        self.timeout = timeout
        self._client = None
        self._warming: list = []
        self._warmed: list = []  # the workers warmed, when fewer than all of them

    def _connect(self):
        from distributed import Client

        from mchanalysis.errors import MchError

        try:
            return Client(self.scheduler, timeout=self.timeout, set_as_default=False)
        except OSError as exc:
            raise MchError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None

    def start(self, n_regions: int, *, warm: bool = True, langs: tuple = ()) -> None:
        """Start a kernel on each worker (at most one per region) now, while the runner builds
        the batch's shared tables, as :meth:`LocalExecutor.start` does: one warm-up task pinned
        to each worker, carrying the shared tables' folder (the kernel inherits it). Best
        effort: a worker that joins later, or a worker thread other than the one warmed, starts
        its kernel with its first region, as before. :meth:`map_unordered` uses the connection."""
        if not warm or n_regions < 1 or self._client is not None:
            return
        from mchanalysis.analysis.data import SHARED_ENV

        client = self._connect()
        self._client = client
        try:
            every = sorted(client.scheduler_info()["workers"])
        except Exception:  # a scheduler that cannot say: the kernels start with the regions
            return
        workers = every[:n_regions]
        self._warmed = workers if len(workers) < len(every) else []
        batch = uuid.uuid4().hex[:8]
        self._warming = [
            client.submit(
                _warm_dask_worker,
                tuple(langs),
                os.environ.get(SHARED_ENV),
                pure=False,
                workers=[w],
                allow_other_workers=False,
                key=f"mch-warm-{i}-{batch}",
            )
            for i, w in enumerate(workers)
        ]

    def map_unordered(self, jobs: list[RegionJob]):
        client, self._client = self._client, None
        warming, self._warming = self._warming, []
        warmed, self._warmed = self._warmed, []
        if not jobs:
            if client is not None:  # started, then nothing to run (e.g. Ctrl-C while building)
                for fut in warming:
                    fut.cancel()
                client.close()
            return
        if client is None:
            client = self._connect()
        batch = uuid.uuid4().hex[:8]
        try:
            # fewer regions than workers: the regions prefer the workers whose kernels started
            prefer = {"workers": warmed, "allow_other_workers": True} if warmed else {}
            futures = {
                client.submit(run_job, job, pure=False, key=f"mch-{job.code}-{batch}", **prefer): job
                for job in jobs
            }
            # poll the futures themselves: distributed.as_completed/wait look up a *default*
            # client, which this executor deliberately does not install (seen failing with
            # "No clients found" on a loaded machine)
            pending = dict(futures)
            while pending:
                done = sorted((f for f in pending if f.done()), key=lambda f: pending[f].code)
                if not done:
                    time.sleep(0.05)
                    continue
                for fut in done:
                    job = pending.pop(fut)
                    try:
                        yield fut.result()
                    except Exception as exc:
                        yield _failed(job, exc)
        finally:
            del warming  # held until now: a released warm-up task could be cancelled mid-start
            client.close()
