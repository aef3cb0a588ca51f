"""The morning re-plan: moves appointments the overnight cancellations freed up while the refund worker
returns those deposits."""
from __future__ import annotations

import threading

from . import booking, ledger, runtime


def rebook_day(cfg):
    both_locked = threading.Barrier(2)
    cancelled = f"A-{cfg.get('unit', 1)}"
    runtime.spawn(ledger.refund_cancellation, cancelled, both_locked.wait, name="refunds")

    def locked():
        both_locked.wait()
        runtime.announce("futex")

    booking.move_appointment(f"A-{cfg.get('unit', 1) + 1}", "surgery-2 09:30", on_locked=locked)
