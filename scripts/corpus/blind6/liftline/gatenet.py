"""Healthy: the gate listener, a selector loop over the turnstile controllers' sockets with a housekeeping
timeout."""
import selectors
import socket

from .signals import announce, beacon


def _admit(selector, listener):
    conn, _ = listener.accept()
    conn.setblocking(False)
    selector.register(conn, selectors.EVENT_READ, _read_turnstile)


def _read_turnstile(selector, conn):
    if not conn.recv(2048):
        selector.unregister(conn)
        conn.close()


def listen_for_gates(settings):
    selector = selectors.DefaultSelector()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ, _admit)
    announce(beacon("blocked"))
    quiet = 0
    while True:
        events = selector.select(timeout=settings.get("poll_interval", 1.0))
        if not events:
            quiet += 1
        for key, _ in events:
            key.data(selector, key.fileobj)
