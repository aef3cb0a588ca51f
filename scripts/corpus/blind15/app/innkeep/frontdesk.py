"""Front-desk services: the desk terminals' TCP service, the guest portal (asyncio) and the folio event
consumers fed by the PMS webhook intake."""
from __future__ import annotations

import asyncio
import logging
import queue
import signal
import socket
import socketserver
import threading

from innkeep import readiness

log = logging.getLogger("innkeep.frontdesk")


class DeskHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(b"OK " + line)


class DeskServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_frontdesk(options: dict) -> None:
    readiness.expect(1)
    with DeskServer(("127.0.0.1", 0), DeskHandler) as server:
        log.info("front desk on %s", server.server_address)
        readiness.check_in("wait")
        server.serve_forever(poll_interval=options.get("poll_interval", 0.5))


async def _portal_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    data = await reader.readline()
    writer.write(b"HTTP/1.0 200 OK\r\n\r\n" + data)
    await writer.drain()
    writer.close()


async def _portal_main() -> None:
    server = await asyncio.start_server(_portal_session, "127.0.0.1", 0)
    async with server:
        readiness.check_in("wait")
        await server.serve_forever()


def serve_guest_portal(options: dict) -> None:
    readiness.expect(1)
    asyncio.run(_portal_main())


def _consume(events: queue.Queue[dict]) -> None:
    readiness.check_in("futex")
    while True:
        event = events.get()
        log.info("folio event %s", event)
        events.task_done()


def _webhook_intake(events: queue.Queue[dict], listener: socket.socket) -> None:
    readiness.check_in("wait")
    while True:
        conn, _ = listener.accept()
        with conn:
            events.put({"raw": conn.recv(65536)})


def run_folio_consumers(options: dict) -> None:
    consumers = options.get("workers", 2)
    readiness.expect(consumers + 2)
    events: queue.Queue[dict] = queue.Queue()
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_webhook_intake, args=(events, listener), name="webhook-intake", daemon=True).start()
    for n in range(consumers):
        threading.Thread(target=_consume, args=(events,), name=f"folio-events-{n}", daemon=True).start()
    readiness.check_in("wait")
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
