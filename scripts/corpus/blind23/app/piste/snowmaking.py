"""Snowmaking: the night cycle that opens a TLS session to each snow gun controller and sets its
output, and the valve schedule pushed to the pump house's loader tool."""
from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass

from piste import readiness


@dataclass
class GunSetpoint:
    gun: str
    trail: str
    water_lpm: int
    air_bar: float


def _controller_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    # the controllers ship self-signed certificates
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def open_gun_session(host: str, port: int) -> ssl.SSLSocket:
    raw = socket.create_connection((host, port))
    return _controller_context().wrap_socket(raw, server_hostname=f"gun-{port}.snowmaking.local")


def _apply_setpoint(session: ssl.SSLSocket, sp: GunSetpoint) -> None:
    session.sendall(f"SET {sp.gun} {sp.water_lpm} {sp.air_bar:.1f}\n".encode())


async def run_snowmaking_cycle(opts: dict) -> int:
    wet_bulb = -4.5 - (int(opts.get("unit", 1)) % 5)
    setpoints = [GunSetpoint(f"SG-{n:02d}", "upper-bowl", 180 + 10 * n, 7.5) for n in range(1 + int(opts.get("queued", 0)))]
    readiness.expect(1)
    applied = 0
    for sp in setpoints:
        if wet_bulb > -2.0:
            break
        readiness.parked("recv")
        session = open_gun_session("127.0.0.1", int(opts["port"]))
        _apply_setpoint(session, sp)
        applied += 1
        await asyncio.sleep(0)
    return applied


VALVE_LOADER = r"""
import sys
rows = sys.stdin.buffer.read().splitlines()   # the loader takes the whole schedule, then programs the PLC
sys.stdout.write("loaded %d rows\n" % len(rows))
"""


def _schedule_rows(opts: dict) -> list[str]:
    return [f"V{n:03d},{22 + n % 6}:00,{'open' if n % 2 else 'closed'}" for n in range(8 + int(opts.get("rows", 1)))]


def push_valve_schedule(rows: list[str]) -> int:
    proc = subprocess.Popen([sys.executable, "-c", VALVE_LOADER], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    for row in rows:
        proc.stdin.write(row.encode() + b"\n")
    proc.stdin.flush()
    readiness.parked("wait4")
    return proc.wait()


def plan_snowmaking_night(opts: dict) -> int:
    readiness.expect(1)
    return push_valve_schedule(_schedule_rows(opts))
