"""The sequencer control-port protocol: one line per request, one length-prefixed frame per reply."""
from __future__ import annotations

import socket
import struct


class InstrumentLink:
    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("instrument closed the control port")
            data += chunk
        return data

    def request(self, line: str) -> bytes:
        self.sock.sendall(line.encode() + b"\r\n")
        (size,) = struct.unpack(">I", self._read_exact(4))
        return self._read_exact(size)


def read_run_status(link: InstrumentLink, flowcell: str) -> bytes:
    return link.request(f"STATUS {flowcell}")


def poll_sequencer(opts: dict, gate) -> None:
    link = InstrumentLink("127.0.0.1", int(opts["port"]))
    gate.expect(1)
    gate.arrive("recv")
    read_run_status(link, f"HV{opts.get('run', 1):04d}DSXY")
