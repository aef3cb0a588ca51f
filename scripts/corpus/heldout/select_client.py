#!/usr/bin/env python3
"""A client waits for a reply in select.select() with no timeout: the server never answers.

``poller`` runs StatusPoller.poll_once() -> _await_reply() -> ``select.select([sock], [], [])``.
``status-server`` accepts and stays silent.
"""
import select
import socket
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


def silent_server(server, conns):
    conn, _ = server.accept()
    conns.append(conn)
    threading.Event().wait()


class StatusPoller:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))

    def _await_reply(self):
        readable, _, _ = select.select([self.sock], [], [])  # blocks: no timeout
        return self.sock.recv(4096) if readable else b""

    def poll_once(self):
        self.sock.sendall(b"STATUS\n")
        return self._await_reply()


def main():
    app.boot("select_client", __doc__.splitlines()[0])
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    conns = []
    app.start("status-server", "idle", silent_server, server, conns)
    poller = StatusPoller(server.getsockname()[1])
    p = app.start("poller", "select", poller.poll_once)
    while not conns:
        threading.Event().wait(0.01)
    app.ready()
    app.wait_for_workers([p])


if __name__ == "__main__":
    main()
