"""Healthy: the RTU listener, a selector loop over the outstation sockets with a housekeeping timeout."""
import selectors
import socket

from .readiness import expect, report_ready


def _accept(selector, server):
    conn, _ = server.accept()
    conn.setblocking(False)
    selector.register(conn, selectors.EVENT_READ, _receive)


def _receive(selector, conn):
    if not conn.recv(4096):
        selector.unregister(conn)
        conn.close()


def serve_outstations(opts):
    selector = selectors.DefaultSelector()
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    selector.register(server, selectors.EVENT_READ, _accept)
    report_ready(expect("blocked"))
    idle_ticks = 0
    while True:
        events = selector.select(timeout=opts.get("poll_interval", 1.0))
        if not events:
            idle_ticks += 1
        for key, _ in events:
            key.data(selector, key.fileobj)
