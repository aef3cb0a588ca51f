"""Pump stations: the Modbus telemetry poll and the energy-aware pump schedule."""
from __future__ import annotations

import asyncio
import socket
import struct


def read_pump_register(host: str, port: int, unit: int, register: int) -> int:
    """Read one holding register over Modbus/TCP (a small blocking client kept from the old poller)."""
    with socket.create_connection((host, port)) as sock:
        sock.sendall(struct.pack(">HHHBBHH", 1, 0, 6, unit, 3, register, 1))
        reply = sock.recv(11)
        if len(reply) < 11:
            raise ConnectionError(f"short Modbus reply from unit {unit}")
        return struct.unpack(">H", reply[9:11])[0]


async def _keepalive(every: float) -> None:
    while True:
        await asyncio.sleep(every)


async def poll_pump_stations(cfg: dict) -> dict:
    """Collect the discharge pressure of every pump station (async service since 5.0)."""
    keepalive = asyncio.ensure_future(_keepalive(float(cfg.get("poll_interval", 1.0))))
    readings = {}
    try:
        for station in range(1, int(cfg.get("rows", 2)) + 2):
            readings[station] = read_pump_register("127.0.0.1", int(cfg["port"]), station, 40001)
            await asyncio.sleep(0)
    finally:
        keepalive.cancel()
    return readings


def plan_pump_schedule(cfg: dict) -> float:
    """The cheapest run plan over the horizon: step through the tariff windows and keep the best slot."""
    horizon_hours = 24 * int(cfg.get("rows", 2))
    step_minutes = int(cfg.get("step_minutes", 15))
    step_hours = step_minutes // 60  # bug: integer hours, 0 for any step under an hour
    peak = (7, 11, 17, 21)
    best, best_at, t = float("inf"), 0, 0
    while t < horizon_hours:
        hour = t % 24
        price = 0.31 if (peak[0] <= hour < peak[1] or peak[2] <= hour < peak[3]) else 0.12
        cost = price * (1.0 + (hour % 5) * 0.01)
        if cost < best:
            best, best_at = cost, t
        t += step_hours
    return best_at
