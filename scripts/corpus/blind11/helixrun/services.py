"""The long-running helixrun services: the alignment pool daemon, the instrument status page, the results API,
the scratch housekeeper and the sample intake."""
from __future__ import annotations

import asyncio
import http.server
import json
import queue
import selectors
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from . import fleet

_stop = threading.Event()


def align_pool_daemon(opts: dict, gate) -> None:
    """Keeps a warm alignment pool for submitted batches until SIGTERM."""
    workers = int(opts.get("workers", 2))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=str(opts.get("pool_prefix", "") or "align"))
    for f in [pool.submit(sum, range(100)) for _ in range(workers * 2)]:
        f.result()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    gate.expect(1)
    gate.arrive("blocked")
    signal.sigwait({signal.SIGTERM})
    pool.shutdown()


def serve_status_page(opts: dict, gate) -> None:
    """The instrument status page: a selector loop over the listener and its clients, no timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    gate.expect(1)
    gate.arrive("blocked")
    while True:
        for key, _ in sel.select():
            if key.data is None:
                conn, _ = listener.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, b"client")
            else:
                sel.unregister(key.fileobj)
                key.fileobj.sendall(b"HTTP/1.0 200 OK\r\n\r\nok\n")
                key.fileobj.close()


async def _handle_results(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(json.dumps({"status": "ok"}).encode() + b"\n")
    await writer.drain()
    writer.close()


async def _results_api(gate) -> None:
    server = await asyncio.start_server(_handle_results, "127.0.0.1", 0)
    gate.expect(1)
    gate.arrive("blocked")
    async with server:
        await server.serve_forever()


def serve_results_api(opts: dict, gate) -> None:
    asyncio.run(_results_api(gate))


def sweep_scratch() -> None:
    fleet.flush_metrics()


def housekeeping(opts: dict, gate) -> None:
    gate.expect(1)
    gate.arrive("futex")
    while not _stop.wait(5):
        sweep_scratch()


class _IntakeHandler(http.server.BaseHTTPRequestHandler):
    inbox: queue.Queue

    def do_POST(self) -> None:
        self.inbox.put(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def process_intake(inbox: queue.Queue) -> None:
    for sample in iter(inbox.get, None):
        fleet.send_heartbeat(f"intake:{len(sample)}")


def sample_intake(opts: dict, gate) -> None:
    """Samples POSTed by the LIMS are queued for the intake worker."""
    inbox: queue.Queue = queue.Queue()
    handler = type("IntakeHandler", (_IntakeHandler,), {"inbox": inbox})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name="intake-http", daemon=True).start()
    consumer = threading.Thread(target=process_intake, args=(inbox,), name="intake-worker", daemon=True)
    consumer.start()
    gate.expect(1)
    gate.arrive("futex")
    consumer.join()
