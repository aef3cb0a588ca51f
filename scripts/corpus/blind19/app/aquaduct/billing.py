"""Billing cycles: the rate table the bill run waits for, and the export to the finance system."""
from __future__ import annotations

import fcntl
import os
import threading
import time


class RateTable:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.rates: dict | None = None

    def load(self, tiers: list) -> None:
        rates = {f"tier{i}": 1.2 + i * 0.35 for i, _ in enumerate(tiers)}
        with self._cond:
            self.rates = rates
            self._cond.notify_all()

    def wait_loaded(self) -> dict:
        with self._cond:
            self._cond.wait()  # woken by load()
            return self.rates


def _read_cycle_meters(cycle: int) -> list:
    time.sleep(0.3)  # the meter-read extract for the cycle
    return [f"M{n:05d}" for n in range(cycle, cycle + 50)]


def print_bills(table: RateTable, meters: list) -> int:
    rates = table.wait_loaded()
    return len(meters) * len(rates)


def run_billing_cycle(cfg: dict) -> int:
    """The bill run of one cycle: load the tiered rate table in the background, extract the reads, price them."""
    table = RateTable()
    threading.Thread(target=table.load, args=([0, 10, 25, 40],), name="rate-loader").start()
    for _ in range(int(cfg.get("waiters", 0))):
        threading.Thread(target=print_bills, args=(table, []), name="bill-printer", daemon=True).start()
    meters = _read_cycle_meters(int(cfg.get("unit", 1)))
    return print_bills(table, meters)


def acquire_cycle_lock(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # one export per cycle across the cluster
    return fd


def export_billing_cycle(cfg: dict) -> int:
    """Write the cycle's invoices to the finance system's drop folder, one exporter at a time."""
    fd = acquire_cycle_lock(cfg["lock_path"])
    try:
        out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"cycle-{cfg.get('unit', 1)}.csv")
        with open(out, "w") as f:
            f.write("account,amount\n")
        return 1
    finally:
        os.close(fd)
