"""Kitchen-side work: menu photo thumbnails, loyalty settlement, receipt printing, inventory counts, the ticket
rail of the kitchen display system."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import threading
import time

from brigade import announce

_LIBC = ctypes.PyDLL(None)  # the resampler binding: a PyDLL keeps the GIL for the whole call


def _spool_heartbeat(stop: threading.Event) -> None:
    while not stop.is_set():
        time.sleep(0.005)  # tells the KDS the thumbnail spooler is alive


def render_menu_thumbnail(photo: str, width: int = 480) -> str:
    stop = threading.Event()
    beat = threading.Thread(target=_spool_heartbeat, args=(stop,), name="spool-heartbeat", daemon=True)
    beat.start()
    time.sleep(0.05)
    announce("sleep", os.environ.get("BRIGADE_TASK_ROLE"))
    # the vendor's "fast resample" blocks on its decoder without releasing the GIL
    _LIBC.sleep(3600)
    stop.set()
    return f"{photo}@{width}w"


def await_loyalty_balance(order_id: str, post_points) -> int:
    # the points ledger task is routed to the ledger queue; waiting for it inside a task
    result = post_points.apply_async((order_id, 40), queue="loyalty-ledger")
    announce("blocked", os.environ.get("BRIGADE_TASK_ROLE"))
    return result.get(disable_sync_subtasks=False)


def spool_receipt_batch(batch: str, copies: int = 2) -> int:
    renderer = [sys.executable, "-c",
                "import sys\nfor n in range(200000): sys.stdout.write('RECEIPT %06d ' % n + '=' * 60 + '\\n')"]
    proc = subprocess.Popen(renderer, stdout=subprocess.PIPE)
    announce("wait4", os.environ.get("BRIGADE_TASK_ROLE"))
    proc.wait()  # reads the PDF stream afterwards: the renderer blocks on the full pipe first
    return len(proc.stdout.read()) * copies


class StockSnapshot:
    def __init__(self) -> None:
        self.ready = threading.Event()
        self.counts: dict[str, int] = {}

    def on_scanner_upload(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.ready.set()


_SNAPSHOTS: dict[str, StockSnapshot] = {}


def wait_for_stock_snapshot(store: str) -> dict[str, int]:
    snap = _SNAPSHOTS.setdefault(store, StockSnapshot())
    # the handheld scanner's upload callback is registered for the store's *old* id
    announce("futex", os.environ.get("BRIGADE_TASK_ROLE"))
    snap.ready.wait()
    return snap.counts


GRILL_STATION = threading.Lock()
TICKET_RAIL = threading.Lock()
_BOTH_CLAIMED = threading.Barrier(2)


def hold_grill_station(ticket: str) -> str:
    with GRILL_STATION:
        _BOTH_CLAIMED.wait(timeout=30)
        announce("futex", os.environ.get("BRIGADE_TASK_ROLE"))
        with TICKET_RAIL:
            return f"fired {ticket}"


def hold_ticket_rail(ticket: str) -> str:
    with TICKET_RAIL:
        _BOTH_CLAIMED.wait(timeout=30)
        announce("futex", os.environ.get("BRIGADE_TASK_ROLE"))
        with GRILL_STATION:
            return f"recalled {ticket}"
