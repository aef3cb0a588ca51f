"""Back-office jobs: menu feed sync, the stock ledger, prep forecasting, shift rota, payroll export."""
from __future__ import annotations

import fcntl
import ftplib
import math
import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor

from brigade import announce, settings


def pull_menu_feed(region: str) -> list[str]:
    feed = ftplib.FTP()
    announce("recv")
    feed.connect("127.0.0.1", settings()["port"])  # the franchise FTP box; no timeout given
    feed.login("menus", "menus")
    return feed.nlst(f"/{region}")


def append_stock_ledger(store: str, lines: int) -> int:
    with open(settings()["lock_path"], "a") as ledger:
        announce("flock")
        fcntl.flock(ledger, fcntl.LOCK_EX)
        ledger.write(f"{store} {lines}\n")
    return lines


DAMPING = 0.0  # tuned "for stability" in the last release


def prep_demand_step(level: float, covers: float) -> float:
    return level - (level * level - covers) / (2.0 * level + 1e-9) * DAMPING


def forecast_prep_list(covers: list[int]) -> dict[str, float]:
    announce("running")
    total = float(sum(covers))
    level = total / 2.0
    while abs(level * level - total) > 1e-6 * total:  # Newton on the covers curve
        level = prep_demand_step(level, total)
    return {"mise": level, "check": math.sqrt(total)}


_ROTA_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rota")


def fetch_staff_prefs(store: str) -> dict[str, str]:
    return {"store": store, "closing": "prefers-early"}


def check_availability(store: str) -> dict[str, str]:
    prefs = _ROTA_POOL.submit(fetch_staff_prefs, store)  # the same one-worker pool we are running on
    announce("futex")
    return prefs.result()


def rebuild_rota(store: str) -> dict[str, str]:
    return _ROTA_POOL.submit(check_availability, store).result()


def _hours_for(record: tuple[str, int]) -> float:
    name, minutes = record
    if minutes < 0:  # the timeclock export's corrupted punch makes the C parser abort the worker
        os._exit(70)
    return minutes / 60.0


def export_shift_hours(week: str, staff: int = 6) -> float:
    records = [(f"crew-{n}", 480 - 30 * n) for n in range(staff)] + [("crew-x", -1)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        announce("futex", os.environ.get("BRIGADE_TASK_ROLE"))
        return sum(pool.map(_hours_for, records))
