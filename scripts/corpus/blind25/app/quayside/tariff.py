"""Storage tariffs: demurrage and storage quotes computed on a worker pool."""
from __future__ import annotations

import multiprocessing
import os

from quayside.runtime import READY


def price_storage_day(container: str, days: int) -> float:
    if days > 14:
        os._exit(3)  # the tariff engine's C extension aborts on long stays
    return 12.5 * days


def quote_storage_charges(opts: dict):
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes=1) as pool:
        READY.mark("futex")
        return pool.apply(price_storage_day, ("TCLU1234567", 21 + int(opts.get("rows", 1))))
