"""Loans at the desk: a checkout locks the patron's record, then the copy being charged."""
from __future__ import annotations

import threading

from lendwell import holds

_patrons: dict = {}
_registry = threading.Lock()


def lock_kind(kind: str):
    return threading.RLock() if kind == "rlock" else threading.Lock()


def patron_lock(patron: int, kind: str = "lock"):
    with _registry:
        return _patrons.setdefault(patron, lock_kind(kind))


def charge_loan(ctx, patron: int, barcode: str, both_locked: threading.Barrier, opened: threading.Event) -> dict:
    kind = ctx.get("lock_style", "lock")
    with patron_lock(patron, kind):
        loan = {"patron": patron, "barcode": barcode, "due": "2026-12-23"}
        opened.set()
        both_locked.wait()
        ctx.checkpoint("futex")
        with holds.copy_lock(barcode, kind):
            loan["hold_checked"] = True
    return loan


def checkout_at_desk(ctx) -> None:
    """Charge a copy while the hold shelf processor fills a hold on it for the same patron."""
    patron = int(ctx.get("patron", 1))
    barcode = f"31234{patron:07d}"
    both_locked = threading.Barrier(2)
    opened = threading.Event()
    ctx.expect(2 + int(ctx.get("waiters", 0)))
    shelf = threading.Thread(target=holds.run_hold_shelf, args=(ctx, patron, barcode, both_locked),
                             name="hold-shelf", daemon=True)
    shelf.start()
    for n in range(int(ctx.get("waiters", 0))):
        threading.Thread(target=holds.queue_renewal, args=(ctx, patron, opened), name=f"renewal-{n}", daemon=True).start()
    charge_loan(ctx, patron, barcode, both_locked, opened)
