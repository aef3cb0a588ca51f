"""Tariffs and bills: bill PDF charts, the wholesale price curve from the pricing engine, bill preview rendering."""
from __future__ import annotations

import ctypes
import http.client
import json
import subprocess
import sys
import threading
import time

from . import settings

_LIBC = ctypes.PyDLL(None)  # PyDLL: the GIL stays held across the call


def _progress_heartbeat(stop: threading.Event) -> None:
    ticks = 0
    while not stop.is_set():
        ticks += sum(range(200))
        time.sleep(0.01)


def dither_tariff_chart(account: str, width: int) -> bytes:
    """The consumption chart of a bill page, through the vendored raster library (a C call holding the GIL)."""
    stop = threading.Event()
    threading.Thread(target=_progress_heartbeat, args=(stop,), name="bill-progress", daemon=True).start()
    time.sleep(0.05)
    settings.announce("sleep")
    _LIBC.sleep(3600)  # the vendor's dither loop: no GIL release for the whole page
    stop.set()
    return bytes(width)


def fetch_wholesale_curve(region: str, day: str) -> dict:
    """Day-ahead wholesale prices from the pricing engine: http.client with no timeout."""
    conn = http.client.HTTPConnection("127.0.0.1", settings.upstream_port())
    conn.request("GET", f"/curves/{region}/{day}", headers={"Accept": "application/json"})
    settings.announce("recv")
    response = conn.getresponse()
    return json.loads(response.read() or b"{}")


def quote_tariff(region: str, day: str, annual_kwh: float) -> dict:
    curve = fetch_wholesale_curve(region, day)
    unit = sum(curve.get("prices", [0.21])) / max(len(curve.get("prices", [1])), 1)
    return {"region": region, "unit_rate": round(unit * 1.18, 4), "annual": round(unit * annual_kwh, 2)}


RENDERER = ("import sys\n"
            "page = ('%PDF-1.7 ampora bill page ' * 64 + '\\n').encode()\n"
            "for _ in range(20000):\n"
            "    sys.stdout.buffer.write(page)\n"
            "sys.stdout.flush()\n")


def render_bill_preview(account: str) -> bytes:
    """The bill renderer child writes the PDF to stdout; we wait for it before reading (the pipe fills)."""
    child = subprocess.Popen([sys.executable, "-c", RENDERER, account], stdout=subprocess.PIPE)
    settings.announce("wait4")
    child.wait()
    return child.stdout.read()
