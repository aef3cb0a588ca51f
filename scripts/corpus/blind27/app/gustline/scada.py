"""Turbine SCADA polling: holding registers of each turbine controller over Modbus/TCP via the park gateway."""
from __future__ import annotations

import itertools
import logging
import socket
import struct

from gustline import notify

log = logging.getLogger("gustline.scada")

# register map of the turbine controllers (vendor doc rev. F)
REGISTERS = {"active_power_kw": (40001, 2), "rotor_rpm": (40010, 1), "pitch_deg": (40020, 3), "nacelle_yaw": (40030, 1)}


class ModbusError(RuntimeError):
    pass


class ModbusClient:
    """A minimal Modbus/TCP client for the park gateway (one TCP connection, unit id per turbine)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self._tids = itertools.count(1)

    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ModbusError("gateway closed the connection")
            buf += chunk
        return buf

    def read_holding_registers(self, unit: int, address: int, count: int) -> tuple[int, ...]:
        tid = next(self._tids) & 0xFFFF
        self.sock.sendall(struct.pack(">HHHBBHH", tid, 0, 6, unit, 3, address - 40001, count))
        _tid, _proto, length, _unit = struct.unpack(">HHHB", self._recv_exact(7))
        body = self._recv_exact(length - 1)
        if body[0] & 0x80:
            raise ModbusError(f"exception {body[1]} from unit {unit}")
        return struct.unpack(f">{body[1] // 2}H", body[2:])

    def close(self) -> None:
        self.sock.close()


def poll_turbine_registers(opts: dict) -> dict:
    """One SCADA scan of every turbine of the park: the registers the dispatch and alarm jobs read."""
    client = ModbusClient("127.0.0.1", opts["port"])
    scan: dict[str, dict[str, tuple[int, ...]]] = {}
    try:
        for unit in range(1, opts.get("turbines", 4) + 1):
            row = {}
            for name, (address, count) in REGISTERS.items():
                notify.arrive("recv")
                row[name] = client.read_holding_registers(unit, address, count)
            scan[f"WTG{unit:02d}"] = row
    finally:
        client.close()
    log.info("scanned %d turbines", len(scan))
    return scan
