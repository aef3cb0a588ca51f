"""The long-running services of a station host: the logger gateway (a selector loop), the public readings API
(asyncio), the station watchdog, the observation consumer and the archive upload pool. Idle is their normal."""
from __future__ import annotations

import asyncio
import queue
import selectors
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from stratonet import notify


def serve_gateway(listeners: int) -> None:
    sel = selectors.DefaultSelector()
    for _ in range(listeners):
        srv = socket.create_server(("127.0.0.1", 0))
        srv.setblocking(False)
        sel.register(srv, selectors.EVENT_READ)
    notify.waiting("blocked")
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            conn.close()


async def _handle_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(b'{"ok": true}\n')
    writer.close()


async def _serve_api() -> None:
    server = await asyncio.start_server(_handle_reading, "127.0.0.1", 0)
    notify.waiting("blocked")
    async with server:
        await server.serve_forever()


def serve_api() -> None:
    asyncio.run(_serve_api())


def check_stations(stations: dict[int, float]) -> int:
    return sum(1 for age in stations.values() if age > 600)


def run_watchdog(stop: threading.Event, every: float) -> None:
    stations = {n: 0.0 for n in range(12)}
    notify.waiting("futex")
    while not stop.wait(every):
        check_stations(stations)


def receive_datagrams(sock: socket.socket, inbox: queue.Queue) -> None:
    notify.waiting("recv")
    while True:
        data, _ = sock.recvfrom(2048)
        inbox.put(data)


def consume_observations(inbox: queue.Queue) -> None:
    notify.waiting("futex")
    while True:
        datagram = inbox.get()
        inbox.task_done()
        del datagram


def serve_upload_pool(workers: int, prefix: str) -> None:
    pool = ThreadPoolExecutor(workers, thread_name_prefix=prefix)
    for f in [pool.submit(len, b"x" * n) for n in range(workers)]:
        f.result()
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    notify.waiting("blocked")
    signal.sigwait(stop_signals)
    pool.shutdown()
