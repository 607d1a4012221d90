"""Work around a reference-count bug of PySide6 6.12.0 on Python 3.11.

In PySide6 6.12.0, wrapped calls give back ``None`` (every void method:
``setText``, ``processEvents``, ``QTimer.start``…) and ``True`` (every
``Signal.emit()``) without taking a reference, so each call lowers that
singleton's reference count by one. Python 3.12+ makes them immortal and never
notices; on 3.11 the count reaches zero after some tens of thousands of calls
and the interpreter aborts ("none_dealloc: deallocating None", "bool_dealloc").
PySide6 6.11.3 does not have the bug.

The guard measures whether such calls leak, and only then raises the
reference counts of ``None``, ``True`` and ``False`` (static singletons that are
never freed) by a large margin, topping them up from a timer, so they can
never fall to zero. Holding the extra references in a list would not do: the
list is released at interpreter exit and the deficit would surface then.
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

RESERVE = 1 << 30  # references added at a time
LOW_WATER = 1 << 28
CHECK_MS = 5000

_timer: QTimer | None = None


class _Probe(QObject):
    ping = Signal()


def pyside_leaks_refs() -> bool:
    """True if PySide6 calls lower the reference count of ``True`` or ``None``."""
    if sys.version_info >= (3, 12):  # immortal singletons: nothing can go wrong
        return False
    probe = _Probe()
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(20):
        probe.ping.emit()
        probe.setObjectName("probe")
    return sys.getrefcount(True) < before[0] - 10 or sys.getrefcount(None) < before[1] - 10


def _top_up() -> None:
    for value in (None, True, False):
        if sys.getrefcount(value) < LOW_WATER:
            # ob_refcnt is the first field of every CPython object
            ctypes.c_ssize_t.from_address(id(value)).value += RESERVE


def install_refcount_guard() -> bool:
    """Install the guard if this PySide6 needs it (idempotent). Needs a Qt
    application object for the timer; returns whether the guard is active."""
    global _timer
    if _timer is not None:
        return True
    if not pyside_leaks_refs():
        return False
    log.info("PySide6 %s leaks references to None/True; guard installed", _pyside_version())
    _top_up()
    _timer = QTimer()
    _timer.setInterval(CHECK_MS)
    _timer.timeout.connect(_top_up)
    _timer.start()
    return True


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__
