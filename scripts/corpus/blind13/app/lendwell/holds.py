"""The hold shelf: filling a hold locks the copy, then its patron's record."""
from __future__ import annotations

import threading

from lendwell import circulation

_copies: dict = {}
_registry = threading.Lock()


def copy_lock(barcode: str, kind: str = "lock"):
    with _registry:
        return _copies.setdefault(barcode, circulation.lock_kind(kind))


def fill_hold(ctx, barcode: str, patron: int, both_locked: threading.Barrier) -> None:
    kind = ctx.get("lock_style", "lock")
    with copy_lock(barcode, kind):
        both_locked.wait()
        ctx.checkpoint("futex")
        with circulation.patron_lock(patron, kind):
            pass


def run_hold_shelf(ctx, patron: int, barcode: str, both_locked: threading.Barrier) -> None:
    fill_hold(ctx, barcode, patron, both_locked)


def queue_renewal(ctx, patron: int, desk_open: threading.Event) -> None:
    """A renewal for the same patron, queued behind the desk."""
    desk_open.wait()
    lock = circulation.patron_lock(patron, ctx.get("lock_style", "lock"))
    ctx.checkpoint("futex")
    with lock:
        pass
