"""Gate QR-ticket scanners: the vendor's decoder library reads the scanner port itself (loaded as a PyDLL, as
the vendor's binding does: it calls back into Python and keeps the interpreter lock)."""
from __future__ import annotations

import ctypes
import os
import threading  # noqa: F401 - the app as written

_scanner = ctypes.PyDLL(None)  # the decoder .so is linked into the gate image; its read is libc's


def scan_qr_ticket(port_fd):
    frame = ctypes.create_string_buffer(512)
    n = _scanner.read(port_fd, frame, ctypes.c_size_t(512))
    return frame.raw[:max(n, 0)]


def validate_qr_tickets(job):
    """Validate the QR tickets presented at a gate until the gate closes."""
    port_fd, scanner_end = os.pipe()  # the scanner's serial port (nothing presented yet)
    job.scanner_end = scanner_end
    job.expect()
    job.waiting("recv")
    while True:
        ticket = scan_qr_ticket(port_fd)
        if not ticket:
            return 0
