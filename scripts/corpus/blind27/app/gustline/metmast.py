"""Met masts: 10-minute records from the mast data loggers (through the vendor's logger bridge) and the sonic
anemometer on the hub-height boom (through the vendor SDK)."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import subprocess
import sys

from gustline import notify

log = logging.getLogger("gustline.metmast")

FIELDS = ("ts", "ws_80m", "ws_60m", "wd_78m", "temp_2m", "press")


def read_logger_record(stream) -> dict | None:
    line = stream.readline()
    if not line:
        return None
    values = line.decode().strip().split(",")
    return dict(zip(FIELDS, values))


def ingest_met_mast(opts: dict) -> list[dict]:
    """Pull the last hour of 10-minute records of mast MM<n> through the logger bridge (it dials the logger)."""
    mast = f"MM{opts.get('park', 1) % 7 + 1}"
    bridge = subprocess.Popen([sys.executable, "-m", "gustline.loggerlink", "--mast", mast,
                               "--modem", f"127.0.0.1:{opts['port']}", "--records", "6"],
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    records = []
    try:
        header = bridge.stdout.readline()
        log.info("bridge: %s", header.decode().strip())
        notify.arrive("recv")
        while True:
            record = read_logger_record(bridge.stdout)
            if record is None:
                break
            records.append(record)
    finally:
        bridge.stdout.close()
        bridge.wait()
    return records


class PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


POLLIN = 0x001
# the vendor's serial SDK is a thin shim over libc loaded as a Python DLL (it calls back into Python)
_sdk = ctypes.PyDLL(ctypes.util.find_library("c") or "libc.so.6")
_sdk.poll.argtypes = [ctypes.POINTER(PollFd), ctypes.c_ulong, ctypes.c_int]


def wait_for_sensor_frame(fd: int, timeout_ms: int = -1) -> int:
    pfd = PollFd(fd, POLLIN, 0)
    return _sdk.poll(ctypes.byref(pfd), 1, timeout_ms)


def read_sonic_anemometer(opts: dict) -> list[bytes]:
    """Read `frames` wind vectors from the sonic anemometer's serial line."""
    serial_r, serial_w = os.pipe()  # the RS-485 adapter's line (the sensor sends when its heater is on)
    frames = []
    for _ in range(opts.get("frames", 4)):
        notify.arrive("poll")
        if wait_for_sensor_frame(serial_r) <= 0:
            break
        frames.append(os.read(serial_r, 64))
    os.close(serial_w)
    os.close(serial_r)
    return frames
