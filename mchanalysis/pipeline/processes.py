"""Child processes die with their parent: worker processes and Jupyter kernels of ``mch run``.

A killed ``mch run`` (SIGKILL, a closed terminal, an out-of-memory kill) must not leave worker
processes and kernels running, each holding hundreds of megabytes and possibly still writing into
the output folder. On Linux every worker and every kernel asks the kernel to send it SIGKILL when
its parent dies (``prctl(PR_SET_PDEATHSIG)``, called through :mod:`ctypes`), and then checks that
the parent is still the one it expects (the parent may have died between ``fork`` and ``prctl``).

Fallback on other systems (macOS, Windows), where ``PR_SET_PDEATHSIG`` does not exist: a worker
checks ``os.getppid()`` before moving a result into place (an orphan never publishes), and
ipykernel's own parent poller stops a kernel whose parent has gone (``JPY_PARENT_PID`` on
Windows, re-parenting on POSIX). Those are slower and weaker: an orphan may run until its current
notebook ends.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None
    fn.restype = ctypes.c_int
    return fn


_PRCTL = _prctl()


def parent_death_signal_supported() -> bool:
    """True where :func:`die_with_parent` can ask the OS to kill a process with its parent."""
    return _PRCTL is not None


def die_with_parent(expected_parent: int | None = None, sig: int = signal.SIGKILL) -> bool:
    """Ask the OS to send *sig* to this process when its parent dies (Linux); True if set.

    If *expected_parent* is given and the parent is already another process (it died before
    the call), exit at once with status 1: the orphan has nothing to do.
    """
    ok = False
    if _PRCTL is not None:
        ok = _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)
    return ok


def child_preexec():
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child dies with the calling process.

    Runs in the child between ``fork`` and ``exec`` (the death signal survives ``exec``); only
    an async-signal-safe C call and ``os.getppid``.
    """
    parent = os.getpid()

    def preexec():
        die_with_parent(parent)

    return preexec if _PRCTL is not None else None
