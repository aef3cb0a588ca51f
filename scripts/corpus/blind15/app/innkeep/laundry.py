"""Laundry: the linen par and the on-premises laundry's load planning, on a process pool (the planning is
CPU heavy at month end); the service waits for its shutdown signal between requests."""
from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import signal

from innkeep import readiness

log = logging.getLogger("innkeep.laundry")


def plan_loads(kilos: int) -> int:
    return -(-kilos // 23)


def run_laundry_service(options: dict) -> None:
    readiness.expect(1)
    workers = options.get("workers", 2)
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers,
                                                mp_context=multiprocessing.get_context("fork")) as pool:
        log.info("warm-up loads %s", list(pool.map(plan_loads, range(100, 100 + 10 * workers, 10))))
        readiness.check_in("wait")
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
