"""One ``mch run`` at a time per output folder: an exclusive lock on ``<out>/.mch-run.lock``.

Two runs writing into the same folder would swap each other's regions and rewrite each other's
index. The lock is an advisory ``flock`` on an open file, so the operating system releases it
when the holder ends in any way (SIGKILL included): there is no stale lock to clean up. The file
holds who has it (pid, host, start time, command), for the message a second run prints. The
file itself is never deleted (deleting a locked file lets a third run lock a new inode while the
first still runs).

Without ``fcntl`` (Windows) the lock is not taken; one run per folder is then the user's job.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mchanalysis.errors import MchError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_NAME = ".mch-run.lock"


def holder_text(info: dict | None) -> str:
    """``pid 123 on host, since 2026-12-04 05:50:01 UTC: mch run --data …`` (or ``unknown``)."""
    if not info:
        return "an unknown process"
    cmd = " ".join(str(a) for a in info.get("argv", []))
    if len(cmd) > 120:
        cmd = cmd[:119] + "…"
    return f"pid {info.get('pid')} on {info.get('host')}, since {info.get('started')}" + (
        f" ({cmd})" if cmd else ""
    )


def read_holder(path: Path) -> dict | None:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


class OutputLock:
    """Exclusive lock on an output folder, as a context manager.

    Parameters
    ----------
    out : path
        The output folder (created if missing).
    wait : bool
        Block until the holder ends (one message on *stream* first) instead of failing.

    Raises
    ------
    MchError
        The folder is locked by another run and *wait* is false (the message names the holder).
    """

    def __init__(self, out, *, wait: bool = False, stream=None):
        self.path = Path(out) / LOCK_NAME
        self.wait = wait
        self.stream = stream if stream is not None else sys.stderr
        self.fd = None

    def acquire(self) -> OutputLock:
        if fcntl is None:  # pragma: no cover
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = holder_text(read_holder(self.path))
                if not self.wait:
                    raise MchError(
                        f"output folder {self.path.parent} is in use by another mch run "
                        f"({holder}); wait for it to end or add --wait"
                    ) from None
                print(f"mch run: waiting for {self.path.parent} ({holder})", file=self.stream, flush=True)
                fcntl.flock(fd, fcntl.LOCK_EX)
            info = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "argv": ["mch", *sys.argv[1:]] if sys.argv else [],
            }
            data = (json.dumps(info, ensure_ascii=False) + "\n").encode("utf-8")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        self.acquired_at = time.time()
        return self

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:  # pragma: no cover
                pass
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False
