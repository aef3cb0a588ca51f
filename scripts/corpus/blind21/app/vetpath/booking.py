"""Appointment book: the day calendar of every exam room and surgery table."""
from __future__ import annotations

import threading

from . import ledger

_calendar_lock = threading.Lock()
_slots: dict[str, str] = {}


def move_appointment(appt: str, new_slot: str, on_locked=None) -> None:
    with _calendar_lock:
        _slots[appt] = new_slot
        if on_locked:
            on_locked()
        ledger.transfer_deposit(appt, new_slot)


def release_slot(appt: str) -> None:
    with _calendar_lock:
        _slots.pop(appt, None)
