"""Executing one parameterized notebook: in a fresh kernel (papermill) or a reused warm kernel.

Both paths inject parameters with papermill's own ``parameterize_notebook`` and store the result
through :func:`normalise`, so the stored ``.ipynb`` is the same bytes whichever path ran it (proved
by ``tests/test_pipeline_kernel.py``). :func:`normalise` removes what differs between two runs of
the same notebook on the same inputs: papermill's timestamps and durations, nbclient's execution
timing metadata, the random id papermill gives the injected cell, stream outputs split
differently by output buffering, the kernelspec of whoever saved the notebook last.
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
import shutil
import tempfile
from pathlib import Path

from mchanalysis.notebook_format import nbformat_module
from mchanalysis.pipeline.failure import Failure

nbformat = nbformat_module()  # without a grammar it never uses (mchanalysis.notebook_format)

KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
INJECTED_CELL_ID = "injected-parameters"


class NotebookFailed(Exception):
    """A notebook cell raised; carries the :class:`~mchanalysis.pipeline.failure.Failure` and
    the partly executed notebook."""

    def __init__(self, failure: Failure, nb):
        self.failure = failure
        self.nb = nb
        super().__init__(str(failure))


def read_notebook(path: str | os.PathLike):
    """Read a notebook as papermill does (v4, every cell given a ``tags`` list)."""
    from papermill.iorw import load_notebook_node

    return load_notebook_node(str(path))


def notebook_bytes(nb) -> bytes:
    """The stored form of a notebook: nbformat's JSON (sorted keys), UTF-8, trailing newline."""
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def parameterize(nb, parameters: dict):
    """Return a copy of *nb* with papermill's injected-parameters cell for *parameters*.

    The parameters are injected in sorted order, so the cell's text does not depend on the order
    of the dict they came in (a manifest, a YAML file, the command line).
    """
    from papermill.parameterize import parameterize_notebook

    from mchanalysis.pipeline.params import check_parameters

    check_parameters(parameters)
    nb = copy.deepcopy(nb)
    nb.metadata.setdefault("papermill", {})
    ordered = {k: parameters[k] for k in sorted(parameters)}
    out = parameterize_notebook(nb, ordered, kernel_name=KERNEL_NAME, language="python")
    check_injected_cell(out, ordered)
    return out


def check_injected_cell(nb, parameters: dict) -> None:
    """Prove the injected-parameters cell is nothing but ``name = literal`` lines for *parameters*.

    The cell is parsed (never run) with :mod:`ast`: every statement must assign one Python
    literal to one name, the names must be exactly the parameters', and each literal must
    evaluate (:func:`ast.literal_eval`) to the parameter's value. A value that could escape its
    string literal would give another statement, another name or another value, and is refused.

    Raises
    ------
    MchError
        The cell is missing or holds anything else.
    """
    import ast

    from mchanalysis.errors import MchError

    cells = [c for c in nb.cells if INJECTED_CELL_ID in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise MchError(f"parameter injection produced {len(cells)} injected cells, expected 1")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise MchError(f"injected parameters do not parse: {exc.msg}") from None
    seen = {}
    for stmt in tree.body:
        if not (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        ):
            raise MchError(
                f"injected parameters hold a statement that is not 'name = value': {ast.unparse(stmt)[:80]!r}"
            )
        try:
            seen[stmt.targets[0].id] = ast.literal_eval(stmt.value)
        except ValueError:
            raise MchError(
                f"injected parameter {stmt.targets[0].id} is not a literal: {ast.unparse(stmt.value)[:80]!r}"
            ) from None
    expected = {k: list(v) if isinstance(v, tuple) else v for k, v in parameters.items()}
    if seen != expected:
        bad = sorted(k for k in set(seen) | set(expected) if seen.get(k, ...) != expected.get(k, ...))
        raise MchError(f"injected parameters do not read back as given: {', '.join(bad)}")


def normalise(nb, parameters: dict | None = None):
    """Strip run-to-run noise from an executed notebook, in place; return it.

    Removes ``metadata.papermill`` timings, paths and environment (keeps the parameters), each
    cell's ``metadata.papermill`` and ``metadata.execution``; gives the injected-parameters cell
    the fixed id ``injected-parameters``; merges consecutive stream outputs of one stream (their
    split depends on buffering, not on the notebook), blanks the kernel's process id in
    warning locations (``/tmp/ipykernel_<pid>/``) and memory addresses in plain-text reprs
    (``<… at 0x7f…>``); sets the ``python3`` kernelspec.
    """
    meta = nb.metadata
    params = parameters if parameters is not None else meta.get("papermill", {}).get("parameters", {})
    meta["papermill"] = {"parameters": {k: params[k] for k in sorted(params)}}
    meta["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if INJECTED_CELL_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_CELL_ID
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
            _blank_addresses(cell.outputs)
    return nb


_KERNEL_TMP = re.compile(r"ipykernel_\d+")
_ADDRESS = re.compile(r"(<[A-Za-z_][\w.]* (?:object )?at )0x[0-9a-fA-F]+>")


def _blank_addresses(outputs) -> None:
    """``<pandas.io.formats.style.Styler at 0x7f…>``: a memory address in a plain-text repr is
    noise (a Styler's text/plain beside its HTML); it becomes ``0x0``."""
    for out in outputs:
        plain = out.get("data", {}).get("text/plain") if isinstance(out.get("data"), dict) else None
        if isinstance(plain, str) and "at 0x" in plain:
            out["data"]["text/plain"] = _ADDRESS.sub(r"\g<1>0x0>", plain)
        elif isinstance(plain, list) and any("at 0x" in p for p in plain):
            out["data"]["text/plain"] = [_ADDRESS.sub(r"\g<1>0x0>", p) for p in plain]


def _coalesce_streams(outputs):
    merged = []
    for out in outputs:
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == out.get("name")
        ):
            merged[-1]["text"] = merged[-1]["text"] + out["text"]
        else:
            merged.append(out)
    for out in merged:
        if out.get("output_type") == "stream":
            # warnings name the cell's temp file /tmp/ipykernel_<kernel pid>/...: the pid is noise
            out["text"] = _KERNEL_TMP.sub("ipykernel_0", out["text"])
    return merged


def first_failure(nb, notebook_name: str) -> Failure | None:
    """The first cell whose outputs hold an error, as papermill's ``raise_for_execution_errors``."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                if out.get("ename") == "SystemExit" and out.get("evalue") in ("", "0"):
                    continue
                return Failure(
                    notebook=notebook_name,
                    cell_index=index,
                    execution_count=cell.get("execution_count"),
                    ename=out.get("ename", ""),
                    evalue=out.get("evalue", ""),
                    source=cell.get("source", ""),
                )
    return None


def execute_fresh(path: str | os.PathLike, parameters: dict, *, cwd: str | os.PathLike, timeout=None):
    """Execute *path* with papermill in a new kernel (the reference path); return it normalised.

    Raises
    ------
    NotebookFailed
        If a cell raised; ``failure`` names the cell (papermill's cell index, ename, evalue).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = parameterize(read_notebook(path), parameters)
    try:
        out = papermill.execute_notebook(
            nb,
            None,
            parameters=None,
            kernel_name=KERNEL_NAME,
            language="python",
            cwd=str(cwd),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as exc:
        failure = Failure(Path(path).name, exc.cell_index, exc.exec_count, exc.ename, exc.evalue, exc.source)
        raise NotebookFailed(failure, None) from exc
    return normalise(out, parameters)


#: Thread-pool sizes of the numerical libraries, set to 1 in a warm kernel unless the user set
#: them: the batch runs one kernel per core, and OpenBLAS's own threads (as many as cores, each
#: spinning while it waits) then compete with the other kernels for the same cores (measured: a
#: warm-up 2.08 -> 1.76 s of CPU, notebook 03 0.69 -> 0.57 s per region, the same wall time
#: alone). The matrices of these models are small enough that OpenBLAS computes them on one
#: thread either way: the results are the same bytes (the golden outputs).
KERNEL_THREAD_LIMITS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def kernel_environment() -> dict:
    """The environment a warm kernel starts with: this process's, plus
    :data:`KERNEL_THREAD_LIMITS` for each variable not set already."""
    env = dict(os.environ)
    for name, value in KERNEL_THREAD_LIMITS.items():
        env.setdefault(name, value)
    return env


class _NoSignalLoop(asyncio.SelectorEventLoop):
    """The warm kernel's event loop, which refuses signal handlers.

    nbclient adds SIGINT/SIGTERM handlers to the loop while it executes a notebook; they shut
    the kernel down and swallow the signal, so a Ctrl-C became a "Kernel died" failure of the
    region in flight and the batch went on (and removing them afterwards put back Python's
    default handler over ``mch run``'s). Signals belong to ``mch run``
    (:data:`mchanalysis.pipeline.jobs.STOP`); nbclient treats the refusal like a non-main
    thread and carries on without handlers.
    """

    def add_signal_handler(self, sig, callback, *args):
        raise RuntimeError("signals are handled by mch run, not by the kernel's event loop")

    def remove_signal_handler(self, sig):
        return False


class WarmKernel:
    """One long-lived ipykernel that executes many notebooks, reset between them.

    The kernel talks over IPC sockets in a private temporary directory, so concurrently started
    kernels cannot collide on TCP ports (``ZMQError: Address already in use``); start-up is
    still retried a few times; a dead or timed-out kernel is shut down and a new one started for
    the next notebook; :meth:`shutdown` always stops it (the executors also call it from a
    finaliser when a worker exits, and on Linux the kernel is killed by the OS when the process
    that started it dies, see :mod:`mchanalysis.pipeline.processes`).
    Each notebook goes through the same papermill parameter injection and :func:`normalise` as
    :func:`execute_fresh`, and :mod:`mchanalysis.pipeline.kernel_state` resets the kernel
    before it.
    """

    start_attempts = 4

    def __init__(self, *, startup_timeout: float = 60.0, cwd: str | None = None, langs=()):
        self.startup_timeout = startup_timeout
        #: report languages whose templates the warm-up compiles (it ignores unknown ones; each
        #: is passed to the kernel as a Python string literal)
        self.langs = tuple(str(lang) for lang in langs)
        self.cwd = cwd or os.getcwd()
        self.loop = _NoSignalLoop()
        self.km = None
        self.kc = None
        self._ipc_dir = None
        self.notebooks_run = 0
        self.busy = False

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        last = None
        for attempt in range(self.start_attempts):
            # IPC sockets in a private temp directory: no TCP port to race for with other
            # kernels starting at the same time (the papermill port-collision issue)
            self._ipc_dir = tempfile.mkdtemp(prefix="mch-kernel-")
            km = AsyncKernelManager(
                kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(self._ipc_dir, "k")
            )
            kc = None
            try:
                from mchanalysis.pipeline.processes import child_preexec

                # the kernel dies with this process (Linux PR_SET_PDEATHSIG), see processes.py
                extra = {"preexec_fn": child_preexec()} if child_preexec() else {}
                await km.start_kernel(
                    cwd=self.cwd,
                    env=kernel_environment(),
                    extra_arguments=["--HistoryManager.hist_file=:memory:"],
                    **extra,
                )
                kc = km.client()
                kc.start_channels()
                await kc.wait_for_ready(timeout=self.startup_timeout)
                self.km, self.kc = km, kc
                await self._run_silent(
                    "import mchanalysis.pipeline.kernel_state as _k; "
                    f"_k.warm_up(langs={self.langs!r}); del _k"
                )
                return
            except Exception as exc:  # ZMQError (port race), RuntimeError (kernel died), timeout
                last = exc
                self.km = self.kc = None
                await _stop(km, kc)
                shutil.rmtree(self._ipc_dir, ignore_errors=True)
                await asyncio.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"could not start a {KERNEL_NAME} kernel: {last}") from last

    def shutdown(self) -> None:
        if self.km is None:
            return
        km, kc = self.km, self.kc
        self.km = self.kc = None
        try:
            self.loop.run_until_complete(_stop(km, kc))
        finally:
            if self._ipc_dir:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

    def kill_process(self) -> None:
        """SIGKILL the kernel process and nothing else: safe inside a signal handler (the
        execution in progress then ends with a dead-kernel error)."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is not None:
            try:
                os.kill(proc.pid, 9)
            except OSError:  # pragma: no cover - already gone
                pass

    def kill(self) -> None:
        """Stop the kernel at once with SIGKILL, without the event loop (which a Ctrl-C may
        have interrupted mid-await): for an interrupted batch, never for a normal end."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        if km is not None:
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            try:
                if proc is not None:
                    proc.kill()
                    proc.wait()
            except Exception:  # pragma: no cover - already gone
                pass
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # pragma: no cover
                pass
        if self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    def close(self) -> None:
        self.shutdown()
        if not self.loop.is_closed():
            self.loop.close()

    def alive(self) -> bool:
        return self.km is not None and self.loop.run_until_complete(self.km.is_alive())

    # -- execution ----------------------------------------------------------------------------
    async def _run_silent(self, code: str, timeout: float = 120.0) -> None:
        reply = await self.kc.execute_interactive(
            code, silent=True, store_history=False, allow_stdin=False, timeout=timeout
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {content.get('ename')}: {content.get('evalue')}")

    def execute(self, path: str | os.PathLike, parameters: dict, *, cwd: str | os.PathLike, timeout=None):
        """Execute notebook *path* with *parameters* in this kernel; return it normalised.

        Raises
        ------
        NotebookFailed
            If a cell raised (the kernel stays usable; it is reset before the next notebook).
        """
        if self.km is None or not self.alive():
            self.shutdown()
            self.start()
        nb = parameterize(read_notebook(path), parameters)
        name = Path(path).name
        self.busy = True
        try:
            self.loop.run_until_complete(self._execute(nb, str(cwd), timeout))
        except _CellError:
            failure = first_failure(nb, name) or Failure(
                name, -1, None, "CellExecutionError", "cell failed without an error output"
            )
            raise NotebookFailed(failure, normalise(nb, parameters)) from None
        except Exception:
            # a dead or wedged kernel: never reuse it
            self.shutdown()
            raise
        finally:
            self.busy = False
            self.notebooks_run += 1
        return normalise(nb, parameters)

    async def _execute(self, nb, cwd: str, timeout) -> None:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        await self._run_silent("import mchanalysis.pipeline.kernel_state as _k; _k.reset(%r)" % cwd)
        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=KERNEL_NAME,
            timeout=timeout,
            allow_errors=False,
            record_timing=False,
            resources={"metadata": {"path": cwd}},
        )
        client.kc = self.kc
        try:
            await client.async_execute()
        except CellExecutionError as exc:
            raise _CellError() from exc


class _CellError(Exception):
    pass


async def _stop(km, kc) -> None:
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # pragma: no cover
            pass
    if km is None:
        return
    try:
        if await km.is_alive():
            await km.shutdown_kernel(now=False)  # polite request, killed after a grace period
    except Exception:
        try:
            await km.shutdown_kernel(now=True)
        except Exception:  # pragma: no cover - already gone
            pass
