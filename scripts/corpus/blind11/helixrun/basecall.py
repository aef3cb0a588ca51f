"""Basecalling: the vendor's signal kernel (a C library) and the adapter scan over the called reads."""
from __future__ import annotations

import ctypes
import re
import threading
import time

# the vendor kernel is loaded as a Python extension library: calls into it keep the interpreter lock
_kernel = ctypes.PyDLL(None)

ADAPTER = re.compile(r"^(?:[ACGT]+)+AGATCGGAAGAGC$")


def call_basecaller_kernel(chunk_seconds: int) -> int:
    return _kernel.sleep(chunk_seconds)


def scan_adapter_motifs(read: str) -> bool:
    return ADAPTER.match(read) is not None


_progress = {"chunks": 0}


def report_progress() -> None:
    while True:
        time.sleep(0.05)
        _progress["chunks"] += 1


def _start_reporter() -> None:
    threading.Thread(target=report_progress, name="basecall-progress", daemon=True).start()


def basecall_chunk(opts: dict, gate) -> None:
    _start_reporter()
    gate.expect(1, self_announced=True)
    gate.arrive("sleep")
    gate.announce()
    call_basecaller_kernel(3600)


def scan_reads(opts: dict, gate) -> None:
    _start_reporter()
    gate.expect(1, self_announced=True)
    gate.arrive("running")
    gate.announce()
    scan_adapter_motifs("ACGT" * 16 + "N")
