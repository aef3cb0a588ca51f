"""Client ledger: deposits taken at booking, refunds on cancellation."""
from __future__ import annotations

import threading

_ledger_lock = threading.Lock()
_balances: dict[str, float] = {}


def transfer_deposit(appt: str, slot: str) -> None:
    with _ledger_lock:
        _balances[appt] = _balances.get(appt, 0.0)


def refund_cancellation(appt: str, on_locked=None) -> None:
    from . import booking

    with _ledger_lock:
        _balances[appt] = 0.0
        if on_locked:
            on_locked()
        booking.release_slot(appt)
