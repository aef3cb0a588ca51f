"""Patron notices: hold-ready events go out on the notices Redis; the notice queue's consumer sends them."""
from __future__ import annotations

import json
import queue
import socket
import threading


def publish_hold_ready(ctx, client, patron: int, barcode: str) -> int:
    ctx.checkpoint("recv")
    return client.publish("holds:ready", json.dumps({"patron": patron, "barcode": barcode}))


def announce_holds(ctx) -> None:
    import redis

    ctx.expect(1)
    # the notices Redis is on the same rack: no read timeout, as the 2.x settings always had it
    client = redis.Redis(host="127.0.0.1", port=int(ctx.get("port")), db=2, socket_timeout=None)
    patron = int(ctx.get("patron", 1))
    publish_hold_ready(ctx, client, patron, f"31234{patron:07d}")


class NoticeQueue:
    """Notices arrive from the web tier on a local socket and are sent one by one."""

    def __init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue()
        self.listener = socket.create_server(("127.0.0.1", 0))

    def receive(self) -> None:
        while True:
            conn, _ = self.listener.accept()
            with conn:
                self.jobs.put(json.loads(conn.recv(65536) or b"{}"))

    def drain(self, ctx) -> None:
        ctx.checkpoint("futex")
        while True:
            notice = self.jobs.get()
            self.send(notice)

    def send(self, notice: dict) -> None:
        print(json.dumps(notice), file=__import__("sys").stderr)


def serve_notices(ctx) -> None:
    ctx.expect(1)
    notices = NoticeQueue()
    threading.Thread(target=notices.receive, name="notice-intake", daemon=True).start()
    notices.drain(ctx)
