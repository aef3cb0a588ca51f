"""segmentd: serves finished HLS segments to the edge pullers over a small TCP protocol, one selector loop."""
from __future__ import annotations

import selectors
import socket

from .runtime import me


def serve_segments(ready, backlog: int = 64) -> None:
    listener = socket.create_server(("127.0.0.1", 0), backlog=backlog)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, data=None)
    ready([me("blocked")])
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, _ = listener.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, data=b"")
            else:
                chunk = key.fileobj.recv(4096)
                if not chunk:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
