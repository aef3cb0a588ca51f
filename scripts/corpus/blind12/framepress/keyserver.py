"""The DRM key server client: a line protocol over TCP (`KEY <content-id> <kid>\n` -> `OK <hex>\n`)."""
from __future__ import annotations

import socket

from .runtime import me


class KeyServerClient:
    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self._sock = None

    def connect(self) -> None:
        self._sock = socket.create_connection(self.address)

    def read_reply(self) -> bytes:
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = self._sock.recv(4096)
            if not chunk:
                raise ConnectionError("key server closed the connection")
            buf += chunk
        return buf


def fetch_content_key(client: KeyServerClient, content_id: str, kid: str, ready) -> bytes:
    client._sock.sendall(f"KEY {content_id} {kid}\n".encode())
    ready([me("recv")])
    reply = client.read_reply()
    return bytes.fromhex(reply.split()[1].decode())
