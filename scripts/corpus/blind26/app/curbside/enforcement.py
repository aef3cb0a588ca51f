"""Citations, plate recognition and the enforcement ledger."""
from __future__ import annotations

import ctypes
import threading
import time

from . import settings

LEDGER_LOCK = threading.Lock()
PLATE_INDEX_LOCK = threading.Lock()
_ledger: dict[str, list] = {}
_plates: dict[str, str] = {}


def _frame_prefetcher(stop: threading.Event, frames: list) -> None:
    while not stop.is_set():
        frames.append(sum(range(200)))
        del frames[:-8]
        time.sleep(0.002)


def match_plate_crop(crop: bytes) -> int:
    # the vendor's matcher is loaded as a PyDLL: it never releases the GIL while it "warms its model"
    settings.report("sleep")
    lib = ctypes.PyDLL(None)
    lib.sleep(3600 + len(crop) % 7)
    return 0


def read_licence_plates(camera: str, crops: list) -> list:
    stop, frames = threading.Event(), []
    threading.Thread(target=_frame_prefetcher, args=(stop, frames), name=f"prefetch-{camera}", daemon=True).start()
    time.sleep(0.05)
    try:
        return [match_plate_crop(c.encode()) for c in crops]
    finally:
        stop.set()


def record_citation(citation: str, plate: str) -> None:
    with LEDGER_LOCK:
        _ledger.setdefault(plate, []).append(citation)
        time.sleep(0.4)  # the audit write happens under the ledger lock
        settings.report("futex")
        with PLATE_INDEX_LOCK:
            _plates[citation] = plate


def reverse_citation(citation: str) -> None:
    with PLATE_INDEX_LOCK:
        plate = _plates.pop(citation, "UNKNOWN")
        time.sleep(0.4)
        settings.report("futex")
        with LEDGER_LOCK:
            _ledger.get(plate, []).remove(citation) if citation in _ledger.get(plate, []) else None
