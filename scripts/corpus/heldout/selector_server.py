#!/usr/bin/env python3
"""Benign: a hand-written selectors server with no client, waiting for connections.

The main thread runs EchoServer.serve() -> ``selectors.select()`` with no timeout on a listening
socket. Nothing is wrong: this is what an idle server looks like.
"""
import selectors
import socket

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class EchoServer:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, self._accept)

    def _accept(self, sock):
        conn, _ = sock.accept()
        conn.setblocking(False)
        self.sel.register(conn, selectors.EVENT_READ, self._echo)

    def _echo(self, conn):
        data = conn.recv(4096)
        if data:
            conn.sendall(data)
        else:
            self.sel.unregister(conn)
            conn.close()

    def serve(self):
        while True:
            for key, _ in self.sel.select():  # idle: waits for a client
                key.data(key.fileobj)


def main():
    app.boot("selector_server", __doc__.splitlines()[0])
    server = EchoServer()
    app.EXPECT["MainThread"] = "idle"
    app.ready(port=server.listener.getsockname()[1])
    server.serve()


if __name__ == "__main__":
    main()
