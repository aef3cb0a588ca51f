"""The LIS link: the laboratory information system connects to rxrounds to push resulted samples; one selector
loop accepts the LIS connections and reads their HL7 batches."""
import selectors
import socket

from .beacon import expect, report_ready


class LisListener:
    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.server = socket.create_server(("127.0.0.1", 0), backlog=16)
        self.server.setblocking(False)
        self.selector.register(self.server, selectors.EVENT_READ, self._accept)
        self.batches = []

    def _accept(self, server):
        conn, _ = server.accept()
        conn.setblocking(False)
        self.selector.register(conn, selectors.EVENT_READ, self._read_batch)

    def _read_batch(self, conn):
        data = conn.recv(65536)
        if not data:
            self.selector.unregister(conn)
            conn.close()
            return
        self.batches.append(data)

    def serve(self):
        while True:
            for key, _ in self.selector.select():
                key.data(key.fileobj)


def serve_lis(config):
    listener = LisListener()
    report_ready(expect("blocked"))
    listener.serve()
