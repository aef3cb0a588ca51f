"""Long-running terminal services: the gate status server, the reefer alarm listener, the customs release
poller and the yard move consumers."""
from __future__ import annotations

import asyncio
import queue
import socketserver
import threading

from quayside.runtime import READY


class GateStatusHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"LANES OPEN 6\r\n")


def serve_gate_status(opts: dict):
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), GateStatusHandler) as server:
        READY.mark("poll")
        server.serve_forever(poll_interval=float(opts.get("poll_interval", 0.5)))


async def handle_alarm(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()
    writer.write(b"ACK " + line)
    await writer.drain()
    writer.close()


async def serve_reefer_alarms(opts: dict):
    server = await asyncio.start_server(handle_alarm, "127.0.0.1", 0)
    READY.mark("blocked")
    async with server:
        await server.serve_forever()


def poll_customs_releases(opts: dict):
    stop = threading.Event()
    seen = set()
    READY.mark("futex")
    while not stop.wait(float(opts.get("sweep_every", 60.0))):
        seen.add(len(seen))


def yard_move_consumer(moves: queue.Queue) -> None:
    while True:
        move = moves.get()
        if move is None:
            return
        moves.task_done()


def run_yard_move_consumers(opts: dict):
    moves: queue.Queue = queue.Queue()
    workers = [threading.Thread(target=yard_move_consumer, args=(moves,), name=f"yard-consumer-{i}")
               for i in range(int(opts.get("workers", 2)))]
    for w in workers:
        w.start()
    READY.mark("futex")
    for w in workers:
        w.join()
