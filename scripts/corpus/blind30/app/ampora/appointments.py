"""Meter installation appointments: engineers' days and the export of booked slots."""
from __future__ import annotations

import fcntl
import os
import threading
import time

from . import settings

SLOTS_LOCK = threading.Lock()
ROSTER_LOCK = threading.Lock()
_slots: dict[str, str] = {}
_roster: dict[str, int] = {}


def book_install_slot(mpan: str, slot: str) -> str:
    with SLOTS_LOCK:
        _slots[slot] = mpan
        time.sleep(0.4)  # geocoding the premises address under the slots lock
        settings.announce("futex")
        with ROSTER_LOCK:
            _roster[slot[:3]] = _roster.get(slot[:3], 0) + 1
    return slot


def release_engineer_day(engineer: str) -> int:
    with ROSTER_LOCK:
        freed = _roster.pop(engineer, 0)
        time.sleep(0.4)
        settings.announce("futex")
        with SLOTS_LOCK:
            for slot in [s for s in _slots if s.startswith(engineer)]:
                del _slots[slot]
    return freed


def lock_settlement_export(day: str) -> int:
    """Only one export of the day's readings to the settlement agent at a time (the nightly job holds it)."""
    fd = os.open(settings.export_lock_path(), os.O_WRONLY | os.O_CREAT)
    settings.announce("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd
