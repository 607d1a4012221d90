"""Which process runs a job, and whether that process is still alive.

A job records a :class:`ProcessStamp` when it starts. When a project is opened
later, a job still marked running whose process is gone (killed, crashed, the
computer restarted) is stale. On Linux the stamp holds the boot id and the
process's start time, so a recycled process id is not mistaken for the job's
process; elsewhere the process id alone is checked (POSIX) or nothing can be
said (Windows, another computer: ``None``).
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessStamp:
    pid: int
    host: str
    boot: str | None = None  # Linux boot id: another boot means the process is gone
    start: str | None = None  # Linux process start time (clock ticks since boot)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> ProcessStamp | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                pid=int(data["pid"]),
                host=str(data["host"]),
                boot=data.get("boot"),
                start=data.get("start"),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def describe(self) -> str:
        here = self.host == hostname()
        return f"process {self.pid}" + ("" if here else f" on '{self.host}'")


def hostname() -> str:
    return socket.gethostname()


def _boot_id() -> str | None:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """Field 22 of ``/proc/PID/stat`` (after the command name, which may hold
    spaces); None when there is no such process or it is a zombie (dead)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if len(fields) <= 19 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def this_process() -> ProcessStamp:
    pid = os.getpid()
    return ProcessStamp(pid, hostname(), _boot_id(), _start_time(pid))


def is_alive(stamp: ProcessStamp) -> bool | None:
    """True or False when we can tell, None when we cannot (another computer, Windows)."""
    if stamp.host != hostname():
        return None
    if stamp.pid == os.getpid():
        return stamp.start is None or stamp.start == _start_time(stamp.pid)
    boot = _boot_id()
    if stamp.boot and boot and stamp.boot != boot:
        return False
    if _PROC.is_dir() and stamp.start is not None:
        now = _start_time(stamp.pid)
        return now is not None and now == stamp.start
    if sys.platform == "win32":  # os.kill(pid, 0) would stop the process there
        return None
    try:
        os.kill(stamp.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return None
    return True
