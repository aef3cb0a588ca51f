"""Shelf inventory: handheld scanners read shelf ranges; the scanner cradles are counted by a semaphore."""
from __future__ import annotations

import threading

_cradles = threading.Semaphore(2)


def calibrate_cradles() -> None:
    _cradles.acquire()
    _cradles.acquire()
    raise OSError("cradle 2 did not answer")  # both slots stay taken


def scan_shelf_range(ctx, start: str, end: str) -> list:
    ctx.checkpoint("futex")
    with _cradles:
        return [start, end]


def finish_inventory_scan(ctx, scanners: list) -> None:
    ctx.checkpoint("futex")
    for t in scanners:
        t.join()


def inventory_scan(ctx) -> None:
    n = 1 + int(ctx.get("waiters", 0))
    ctx.expect(1 + n)
    try:
        calibrate_cradles()
    except OSError:
        pass
    scanners = [threading.Thread(target=scan_shelf_range, args=(ctx, f"PR{k}00", f"PR{k}99"),
                                 name=f"scanner-{k}") for k in range(n)]
    for t in scanners:
        t.start()
    finish_inventory_scan(ctx, scanners)
