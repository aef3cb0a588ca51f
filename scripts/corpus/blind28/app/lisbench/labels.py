"""Specimen barcode labels: the vendor's Code 128 / DataMatrix encoder talks to the label printer over USB."""
from __future__ import annotations

import ctypes
import threading
import time

from . import config

_ENCODER = None


def _encoder():
    # the vendor ships a CPython-API library: PyDLL keeps the GIL held during its calls
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = ctypes.PyDLL(None)
    return _ENCODER


def _printer_heartbeat(stop: threading.Event, beats: list) -> None:
    while not stop.is_set():
        beats.append(time.monotonic())
        time.sleep(0.2)


def encode_label_bitmap(accession: str, copies: int) -> int:
    """The encoder waits for the printer's USB handshake before it returns the bitmap (here: a very long one)."""
    config.announce("sleep")
    return _encoder().sleep(3600 + copies)


def render_label_sheet(accession: str, copies: int) -> dict:
    stop, beats = threading.Event(), []
    beat = threading.Thread(target=_printer_heartbeat, args=(stop, beats), name="zebra-heartbeat", daemon=True)
    beat.start()
    try:
        encode_label_bitmap(accession, copies)
        return {"accession": accession, "copies": copies, "beats": len(beats)}
    finally:
        stop.set()
