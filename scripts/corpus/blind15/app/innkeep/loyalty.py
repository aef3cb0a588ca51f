"""Loyalty points: a stay's points are written to the ledger after a short grace period (late folio
corrections come in), then the batch is acknowledged."""
from __future__ import annotations

import logging
import threading

from innkeep import readiness

log = logging.getLogger("innkeep.loyalty")

GRACE_MS = 30_000


def _write_batch(batch: list[tuple[str, int]]) -> None:
    log.info("points ledger: %d entries", len(batch))


def flush_points_ledger(batch: list[tuple[str, int]], grace_ms: int = GRACE_MS) -> None:
    timer = threading.Timer(grace_ms, _write_batch, args=(batch,))  # Timer takes seconds
    timer.name = "points-grace"
    timer.start()
    readiness.check_in("futex")
    timer.join()


def flush_stay_points(options: dict) -> None:
    readiness.expect(1)
    batch = [(f"M{n:07d}", 120 * (n + 1)) for n in range(2 + options.get("queued", 0))]
    flush_points_ledger(batch)
