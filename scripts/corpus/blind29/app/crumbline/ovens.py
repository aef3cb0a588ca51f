"""Oven controller telemetry: zone temperatures read over the controller's framed TCP protocol, and the deck
reservations the rack handoff makes."""
import socket
import struct
import threading
import time

OVEN_LOCK = threading.Lock()
DECKS = {}


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("controller closed")
        buf += chunk
    return buf


def read_zone_frame(sock, zone):
    sock.sendall(struct.pack(">HH", 0x0301, zone))
    header = _recv_exact(sock, 4)
    _, length = struct.unpack(">HH", header)
    return _recv_exact(sock, length)


def poll_oven_zones(ctx):
    opts = ctx.opts
    sock = socket.create_connection(("127.0.0.1", opts["port"]))  # controller link: no timeout set
    readings = {}
    ctx.ready("recv")
    for zone in range(1, opts.get("zones", 4) + 1):
        readings[zone] = read_zone_frame(sock, zone)
    return 0


def reserve_oven_deck(rack):
    with OVEN_LOCK:
        DECKS[rack] = time.monotonic()


def unload_oven_deck(deck):
    from crumbline import proofing
    with OVEN_LOCK:
        DECKS.pop(deck, None)
        time.sleep(0.05)  # controller door cycle
        proofing.free_proofer_slot(deck)
