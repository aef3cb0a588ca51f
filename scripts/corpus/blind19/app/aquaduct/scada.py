"""SCADA: the historian sync, the RTU serial driver and the alarm bus."""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import http.client
import json
import os
import time

from aquaduct import runtime


def push_tag_batch(conn: http.client.HTTPConnection, batch: list) -> int:
    body = json.dumps({"tags": batch}).encode()
    conn.request("POST", "/historian/api/v2/tags", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def sync_historian(cfg: dict) -> int:
    """Push the last interval's tag values (pressures, flows, levels) to the historian."""
    conn = http.client.HTTPConnection("127.0.0.1", int(cfg["port"]))  # no timeout: the client default
    batch = [{"tag": f"PS{cfg.get('unit', 1)}.PRESSURE", "ts": time.time(), "v": 4.1 + i / 10}
             for i in range(int(cfg.get("rows", 2)) * 20)]
    try:
        return push_tag_batch(conn, batch)
    finally:
        conn.close()


class RtuLine:
    """The vendor's RTU driver (a C library) on a serial line; its calls are made with the GIL held."""

    def __init__(self) -> None:
        self._lib = ctypes.PyDLL(ctypes.util.find_library("c") or "libc.so.6")
        self.modem, self.port = os.openpty()


def read_rtu_serial(line: RtuLine, station: int, size: int = 64) -> bytes:
    buf = ctypes.create_string_buffer(size)
    got = line._lib.read(line.port, buf, size)  # blocks until the RTU answers
    return buf.raw[:max(got, 0)]


def poll_rtu_stations(cfg: dict) -> int:
    """Read the status frame of each remote terminal unit on the serial trunk."""
    line = RtuLine()
    runtime.wait_until_reported()
    frames = 0
    for station in range(1, int(cfg.get("rows", 2)) + 2):
        if read_rtu_serial(line, station):
            frames += 1
    return frames


class AlarmBus:
    """Alarms fan out to subscribers on the service's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sent: list = []

    async def publish(self, alarm: dict) -> None:
        await asyncio.sleep(0)
        self.sent.append(alarm)


def publish_alarm_sync(bus: AlarmBus, alarm: dict, timeout: float | None = None) -> None:
    """For callers outside the loop (driver callbacks): hand the alarm to the loop and wait until it went out."""
    asyncio.run_coroutine_threadsafe(bus.publish(alarm), bus.loop).result(timeout)


async def handle_pressure_drop(bus: AlarmBus, station: str, psi: float) -> None:
    if psi < 30.0:
        publish_alarm_sync(bus, {"station": station, "psi": psi, "kind": "low-pressure"})


async def dispatch_alarms(cfg: dict) -> int:
    """Evaluate the latest pressure readings and raise alarms for the low ones."""
    bus = AlarmBus(asyncio.get_running_loop())
    readings = [(f"PS{n}", 45.0 - n * 9.0) for n in range(1, int(cfg.get("rows", 2)) + 3)]
    for station, psi in readings:
        await handle_pressure_drop(bus, station, psi)
    return len(bus.sent)
