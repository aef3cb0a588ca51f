"""Substation telemetry: measurements of the park's substation RTUs (IEC 60870-5-104), gathered by the async
telemetry job."""
from __future__ import annotations

import asyncio
import logging
import socket
import struct

from gustline import notify

log = logging.getLogger("gustline.substation")

STARTDT_ACT = bytes([0x68, 0x04, 0x07, 0x00, 0x00, 0x00])


def open_iec104_link(host: str, port: int) -> socket.socket:
    link = socket.create_connection((host, port))
    link.sendall(STARTDT_ACT)
    return link


async def read_rtu_measurements(host: str, port: int, rtu: int) -> dict:
    notify.arrive("connect")
    link = open_iec104_link(host, port)
    try:
        link.sendall(bytes([0x68, 0x0E, 0, 0, 0, 0, 100, 1, 6, 0]) + struct.pack("<H", rtu) + bytes([0, 0, 0, 20]))
        reply = await asyncio.get_running_loop().sock_recv(link, 255)
        return {"rtu": rtu, "bytes": len(reply)}
    finally:
        link.close()


async def poll_substation_rtus(opts: dict) -> list[dict]:
    """General interrogation of every RTU of the substation, concurrently."""
    rtus = range(1, opts.get("rtus", 3) + 1)
    results = await asyncio.gather(*(read_rtu_measurements("127.0.0.1", opts["full_port"], rtu) for rtu in rtus))
    log.info("interrogated %d RTUs", len(results))
    return list(results)
