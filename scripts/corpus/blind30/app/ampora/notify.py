"""Outage notifications: the network operator's outage feed and SMS through the SMPP gateway."""
from __future__ import annotations

import socket
import struct
import threading

from . import settings

_outage_feed_loaded = threading.Event()
_outage_postcodes: set[str] = set()


def _load_outage_feed() -> None:
    rows = "NE1 4|NE2 1|broken".split("|")
    for row in rows:
        district, sector = row.split(" ")  # the operator's feed has a malformed row: the loader dies here
        _outage_postcodes.add(f"{district} {sector}")
    _outage_feed_loaded.set()


threading.Thread(target=_load_outage_feed, name="outage-feed-loader", daemon=True).start()


def wait_for_outage_feed() -> set[str]:
    settings.announce("futex")
    _outage_feed_loaded.wait()
    return _outage_postcodes


def submit_sm_pdu(msisdn: str, text: str) -> int:
    """One submit_sm to the SMS gateway over a raw socket; the gateway's ack is awaited with no timeout."""
    body = b"\x00\x05\x00" + msisdn.encode() + b"\x00" + text.encode()[:160] + b"\x00"
    pdu = struct.pack(">IIII", 16 + len(body), 0x00000004, 0, 1) + body
    sock = socket.create_connection(("127.0.0.1", settings.upstream_port()))
    sock.sendall(pdu)
    settings.announce("recv")
    header = sock.recv(16)
    return struct.unpack(">IIII", header)[3] if len(header) == 16 else -1
