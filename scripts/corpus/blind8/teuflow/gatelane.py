"""Gate lanes: the kiosk listener accepts truck driver kiosks and answers their pre-advice lookups."""
import selectors
import socket

from .probe import here, report_ready


def _answer(conn, selector):
    data = conn.recv(512)
    if not data:
        selector.unregister(conn)
        conn.close()
        return
    conn.sendall(b"OK " + data[:32])


def serve_gate_lanes(settings):
    selector = selectors.DefaultSelector()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    report_ready(here("blocked"))
    while True:
        for key, _ in selector.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                selector.register(conn, selectors.EVENT_READ)
            else:
                _answer(key.fileobj, selector)
