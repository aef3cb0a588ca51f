"""RFID security gates: the vendor's reader library is called through ctypes (PyDLL: its callbacks touch
Python objects, so the GIL is kept across the call)."""
from __future__ import annotations

import ctypes
import threading
import time

_reader = ctypes.PyDLL(None)  # the vendor library is linked into the gate build; libc stands in here
_reader.sleep.argtypes = [ctypes.c_uint]


def poll_gate_antenna(gate: int, dwell_s: int) -> int:
    return _reader.sleep(dwell_s)  # blocks until a tag passes the antenna


def _alarm_events(ctx) -> None:
    seen = 0
    while True:
        seen += len([t for t in range(100) if t % 7 == 0])
        time.sleep(0.005)


def watch_gates(ctx) -> None:
    ctx.expect(1)
    threading.Thread(target=_alarm_events, args=(ctx,), name="gate-alarms", daemon=True).start()
    ctx.checkpoint("sleep", hold=True)
    poll_gate_antenna(1, 86400)
