"""Fare capping: riders never pay more than the daily/weekly cap; the nightly settlement credits back what a
tap charged over it."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

_CAP_LEDGER_LOCK = threading.Lock()
_progress = {}
DAILY_CAP = 560


def transfer_cap_progress(source, target):
    with _CAP_LEDGER_LOCK:
        _progress[target] = _progress.get(target, 0) + _progress.pop(source, 0)


def record_fare(job, account, fare):
    """Add a tap's fare to the rider's cap progress; credit back what exceeds the cap."""
    from farebox import accounts

    with _CAP_LEDGER_LOCK:
        spent = _progress.get(account, 0) + fare
        _progress[account] = min(spent, DAILY_CAP)
        time.sleep(0.3)  # the ledger row is written inside the lock
        job.waiting("futex")
        if spent > DAILY_CAP:
            accounts.credit_balance(account, spent - DAILY_CAP)


def _settlement(job, taps):
    for account, fare in taps:
        record_fare(job, account, fare)


def _merges(job, pairs):
    from farebox import accounts

    for primary, duplicate in pairs:
        accounts.merge_accounts(job, primary, duplicate)


def settle_daily_caps(job):
    """Nightly cap settlement; customer care's account merges run at the same time."""
    unit = job.get("unit", 1)
    _progress[f"C{unit}"] = DAILY_CAP - 40
    job.expect(2)
    settle = threading.Thread(target=_settlement, args=(job, [(f"C{unit}", 250)]), name="cap-settlement")
    merge = threading.Thread(target=_merges, args=(job, [(f"C{unit}", f"C{unit + 1}")]), name="account-merge")
    settle.start()
    merge.start()
    settle.join()
    merge.join()
    return 0


PRODUCTS = [
    {"name": "adult-daily", "cap_days": 1, "anchor": datetime(2026, 1, 1, 3, 0)},
    {"name": "adult-weekly", "cap_days": 7, "anchor": datetime(2026, 1, 5, 3, 0)},
    {"name": "reduced-daily", "cap_days": 1, "anchor": datetime(2026, 1, 1, 3, 0)},
    # event passes cap per event, not per calendar period: configured without a period
    {"name": "stadium-event", "cap_days": 0, "anchor": datetime(2026, 11, 28, 18, 0)},
]


def next_cap_reset(product, tap_time):
    period = timedelta(days=product["cap_days"], hours=product.get("cap_hours", 0))
    boundary = product["anchor"]
    while boundary <= tap_time:
        boundary += period
    return boundary


def apply_cap_windows(job):
    """Stamp every tap of the day with the reset time of each cap product the rider holds."""
    taps = [datetime(2026, 12, 2, 7, 15) + timedelta(minutes=13 * n) for n in range(job.get("rows", 5))]
    job.expect()
    job.waiting("running")
    resets = {}
    for tap in taps:
        for product in PRODUCTS:
            resets[(tap, product["name"])] = next_cap_reset(product, tap)
    return 0 if resets else 1
