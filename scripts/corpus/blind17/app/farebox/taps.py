"""Tap validation: the validator gateway polls the station concentrators for tap batches, and (as a service)
accepts the concentrators' push connections."""
from __future__ import annotations

import selectors
import socket
import struct


def read_tap_batch(sock, framing):
    """One batch of taps from a concentrator: a 4-byte length and the records, or newline-delimited records."""
    if framing == "line":
        with sock.makefile("rb") as stream:
            return [stream.readline()]
    header = sock.recv(4)
    (size,) = struct.unpack("!I", header.ljust(4, b"\0"))
    return [sock.recv(size)]


def poll_validators(job):
    station = job.get("unit", 1)
    sock = socket.create_connection(("127.0.0.1", job.get("port")))
    sock.sendall(b"POLL station=%d since=0\n" % station)
    job.expect()
    job.waiting("recv")
    taps = read_tap_batch(sock, job.get("framing", "length"))
    return 0 if taps else 1


def _accept(server, sel):
    conn, _ = server.accept()
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, _ingest)


def _ingest(conn, sel):
    data = conn.recv(65536)
    if not data:
        sel.unregister(conn)
        conn.close()


def serve_concentrator(job):
    """The push endpoint the station concentrators connect to; waits in select() while no station sends."""
    sel = selectors.DefaultSelector()
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    sel.register(server, selectors.EVENT_READ, _accept)
    job.expect()
    job.waiting("blocked")
    while True:
        for key, _ in sel.select():
            key.data(key.fileobj, sel)
