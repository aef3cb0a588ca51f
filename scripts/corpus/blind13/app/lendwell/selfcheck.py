"""SIP2 client of the self-check kiosks: a status request to the ILS gateway, read up to the message's CR."""
from __future__ import annotations

import socket
import threading
import time


class SipClient:
    def __init__(self, host: str, port: int, location: str) -> None:
        self.location = location
        self.sock = socket.create_connection((host, port))

    def read_sip_response(self) -> bytes:
        buf = b""
        while not buf.endswith(b"\r"):
            chunk = self.sock.recv(1024)
            if not chunk:
                raise ConnectionError("ILS gateway closed the connection")
            buf += chunk
        return buf

    def status(self, ctx) -> bytes:
        stamp = time.strftime("%Y%m%d    %H%M%S")
        self.sock.sendall(f"9900302.00AO{self.location}|{stamp}\r".encode())
        ctx.checkpoint("recv")
        return self.read_sip_response()


def kiosk_status(ctx, kiosk: int) -> bytes:
    return SipClient("127.0.0.1", int(ctx.get("port")), f"KIOSK{kiosk:02d}").status(ctx)


def poll_kiosks(ctx) -> None:
    """Ask the gateway for each kiosk's status; the first on this thread, the others on their own."""
    others = int(ctx.get("waiters", 0))
    ctx.expect(1 + others)
    for n in range(others):
        threading.Thread(target=kiosk_status, args=(ctx, n + 2), name=f"kiosk-{n + 2}", daemon=True).start()
    kiosk_status(ctx, 1)
