"""Mountain telemetry: the avalanche desk's snowpack readings from the slope stations, the snow depth
probes read through the vendor SDK, and the sensor gateway the stations report to."""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import queue
import threading
from dataclasses import dataclass

from piste import readiness


class StationOffline(RuntimeError):
    pass


@dataclass
class Reading:
    station: str
    depth_cm: float
    temp_c: float


_DONE = object()


def _station_samples(station: str, n: int):
    if station.endswith("-3"):
        raise StationOffline(f"{station}: no carrier")
    for k in range(n):
        yield Reading(station, 140.0 + k, -8.0 + 0.1 * k)


def read_station(station: str, out: queue.Queue[object], samples: int) -> None:
    try:
        for reading in _station_samples(station, samples):
            out.put(reading)
        out.put(_DONE)
    except StationOffline:
        return


def collect_snowpack_readings(out: queue.Queue[object], stations: int) -> list[Reading]:
    readings: list[Reading] = []
    finished = 0
    while finished < stations:
        item = out.get()
        if item is _DONE:
            finished += 1
        else:
            readings.append(item)
    return readings


def assess_avalanche_risk(opts: dict) -> str:
    n = max(4, int(opts.get("workers", 2)) + 2)
    out: queue.Queue[object] = queue.Queue()
    readers = [threading.Thread(target=read_station, args=(f"ridge-{k}", out, 3 + int(opts.get("queued", 0))),
                                name=f"station-{k}") for k in range(n)]
    for t in readers:
        t.start()
    readiness.expect(1)
    readiness.parked("futex")
    readings = collect_snowpack_readings(out, len(readers))
    return "considerable" if sum(r.depth_cm for r in readings) > 1000 else "moderate"


# --- the snow depth probes (vendor SDK) ---------------------------------------------------------------------

# the probe SDK calls back into Python for its logging, so it is loaded with the GIL kept
_sdk = ctypes.PyDLL(ctypes.util.find_library("c"))
_sdk.read.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
_sdk.read.restype = ctypes.c_ssize_t


def _open_probe_link() -> int:
    rd, wr = os.pipe()  # the probe bridge's serial line
    _links.append(wr)
    return rd


_links: list[int] = []


def read_probe_frame(fd: int, size: int = 64) -> bytes:
    buf = ctypes.create_string_buffer(size)
    n = _sdk.read(fd, buf, size)
    return buf.raw[:max(n, 0)]


def poll_snow_probes(opts: dict) -> list[bytes]:
    fd = _open_probe_link()
    frames = []
    readiness.expect(1)
    for _ in range(1 + int(opts.get("rows", 1))):
        readiness.parked("recv")
        frames.append(read_probe_frame(fd))
    return frames


# --- the sensor gateway -------------------------------------------------------------------------------------

async def _station_report(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()
    writer.write(b"ACK " + line[:32])
    await writer.drain()
    writer.close()


async def _flush_station_cache(every: float) -> None:
    while True:
        await asyncio.sleep(every)


async def run_sensor_gateway(opts: dict) -> None:
    server = await asyncio.start_server(_station_report, "127.0.0.1", 0)
    flusher = asyncio.ensure_future(_flush_station_cache(float(opts.get("sweep_every", 60.0))))
    readiness.expect(1)
    readiness.parked("blocked")
    async with server:
        await server.serve_forever()
    flusher.cancel()
