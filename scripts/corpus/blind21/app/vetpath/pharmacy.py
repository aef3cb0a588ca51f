"""Pharmacy: the stock count reconciliation against the wholesaler's count sheet, and the controlled-drug
dispensing log (one writer at a time across every process of the clinic, by flock)."""
from __future__ import annotations

import csv
import fcntl
import io
import os
import threading

from . import runtime

COUNT_SHEET = "sku,name,qty\nAMOX250,Amoxicillin 250mg,140\nMELOX15,Meloxicam 1.5mg/ml,\nCARP50,Carprofen 50mg,60\n"


class CountSheet:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.loaded = False
        self.counts: dict[str, int] = {}

    def load(self, text: str) -> None:
        counts = {row["sku"]: int(row["qty"]) for row in csv.DictReader(io.StringIO(text))}
        with self.cond:
            self.counts = counts
            self.loaded = True
            self.cond.notify_all()


def await_count_sheet(sheet: CountSheet) -> dict:
    with sheet.cond:
        while not sheet.loaded:
            sheet.cond.wait()
        return sheet.counts


def reconcile_pharmacy_stock(cfg):
    sheet = CountSheet()
    for n in range(cfg.get("waiters", 0)):
        runtime.spawn(await_count_sheet, sheet, name=f"reorder-{n}")
    loader = threading.Thread(target=sheet.load, args=(COUNT_SHEET,), name="count-sheet-loader", daemon=True)
    loader.start()
    runtime.announce("futex")
    counts = await_count_sheet(sheet)
    return {sku: qty for sku, qty in counts.items() if qty < 50}


def lock_controlled_log(path: str) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def record_controlled_dispense(cfg, entry: str = "") -> None:
    fd = lock_controlled_log(cfg.lock_path)
    try:
        os.write(fd, (entry or f"ketamine 100mg/ml 0.4ml patient {cfg.get('unit', 1)}\n").encode())
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def dispense_controlled(cfg):
    for n in range(cfg.get("waiters", 0)):
        runtime.spawn(record_controlled_dispense, cfg, f"waiter {n}\n", kind="flock", name=f"dispense-{n}")
    runtime.announce("flock")
    record_controlled_dispense(cfg)
