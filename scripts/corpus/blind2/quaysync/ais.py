"""AIS position stream from the coastal receiver."""
import socket

from quaysync import lifecycle


class AisFeed:
    def __init__(self, port):
        self.port = port

    def open_stream(self):
        lifecycle.enter("connect")
        return socket.create_connection(("127.0.0.1", self.port))


def follow_stream(opts):
    lifecycle.expect(connect="connect")
    sock = AisFeed(opts["full_port"]).open_stream()
    return sock.recv(1024)
