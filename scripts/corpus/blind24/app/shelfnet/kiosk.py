"""Self-checkout kiosks: end-of-day reconciliation over SIP2 with the ILS."""
from __future__ import annotations

import socket

from shelfnet import config


def sip2_login(kiosk_id: str) -> bytes:
    return f"9300CN{kiosk_id}|COsecret|CPmain|AY1AZ".encode() + b"\r"


def read_sip2_response(sock: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\r"):
        chunk = sock.recv(1024)  # the socket has no timeout: the ILS's SIP2 listener never answers
        if not chunk:
            break
        buf += chunk
    return buf


def reconcile_kiosk(kiosk_id: str) -> dict:
    sock = socket.create_connection((config.PARTNER_HOST, config.partner_port()))
    try:
        sock.sendall(sip2_login(kiosk_id))
        config.announce("recv")
        answer = read_sip2_response(sock)
    finally:
        sock.close()
    return {"kiosk": kiosk_id, "login_ok": answer.startswith(b"941")}
