"""Night audit: the end-of-day close (revenue totals per outlet, computed in a separate process so that a
bad outlet cannot take the worker down) and the audit run itself, one per property at a time (a lock file on
the shared audit volume)."""
from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os

from innkeep import readiness

log = logging.getLogger("innkeep.night_audit")

OUTLET_ACCOUNTS = {"ROOMS": 4000, "FNB": 4100, "SPA": 4200, "MINIBAR": 4110}


def account_balance(account: int) -> int:
    return account % 97 * 100


def _outlet_totals(results, outlets: list[str]) -> None:
    totals = {}
    for outlet in outlets:  # "PARKING" was added to the PMS outlets, not to the chart of accounts: KeyError
        totals[outlet] = account_balance(OUTLET_ACCOUNTS[outlet])
    results.put(totals)


def collect_revenue_totals(outlets: list[str]) -> dict:
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    worker = ctx.Process(target=_outlet_totals, args=(results, outlets), name="audit-outlets", daemon=True)
    worker.start()
    readiness.check_in("recv")
    totals = results.get()
    worker.join()
    return totals


def close_day(options: dict) -> None:
    readiness.expect(1)
    outlets = ["ROOMS", "FNB", "PARKING", "SPA"][: 3 + min(options.get("queued", 0), 1)]
    log.info("day closed: %s", collect_revenue_totals(outlets))


def acquire_audit_lock(path: str):
    lock = open(path, "a")  # noqa: SIM115 (the caller holds it open for the run)
    readiness.check_in("flock")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    return lock


def run_night_audit(options: dict) -> None:
    readiness.expect(1)
    path = options.get("lock_path") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "night-audit.lock")
    with acquire_audit_lock(path):
        log.info("night audit for property %s", options.get("property", 17))
