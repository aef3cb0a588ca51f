"""The long-running services of a gustline node: the SCADA push ingest, the control-room alarm feed, the dispatch
order watcher, the work-order consumers and the met-mast UDP listener."""
from __future__ import annotations

import asyncio
import json
import logging
import queue
import selectors
import socket
import socketserver
import threading

from gustline import notify

log = logging.getLogger("gustline.services")


class ScadaPushHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.server.samples.append(json.loads(line))


class ScadaPushServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address) -> None:
        super().__init__(address, ScadaPushHandler)
        self.samples: list[dict] = []


def serve_scada_push(opts: dict) -> None:
    """Turbine edge agents push their 10-minute statistics here."""
    with ScadaPushServer(("127.0.0.1", 0)) as server:
        log.info("scada push on %s", server.server_address)
        notify.arrive("blocked")
        server.serve_forever(poll_interval=opts.get("serve_poll", 0.5))


async def _alarm_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.readline():
        writer.write(b'{"alarms": []}\n')
        await writer.drain()
    writer.close()


async def _expire_acknowledged(every: float) -> None:
    while True:
        await asyncio.sleep(every)


async def serve_alarm_feed(opts: dict) -> None:
    """The control room's alarm feed (a line-JSON stream per console)."""
    server = await asyncio.start_server(_alarm_client, "127.0.0.1", 0)
    expiry = asyncio.ensure_future(_expire_acknowledged(opts.get("sweep_every", 60.0)))
    async with server:
        notify.arrive("blocked")
        await server.serve_forever()
    expiry.cancel()


def watch_dispatch_orders(opts: dict) -> None:
    """Look for new dispatch orders in the operator's drop folder every poll_every seconds."""
    stop = threading.Event()
    seen: set[str] = set()
    notify.arrive("futex")
    while not stop.wait(opts.get("watch_every", 30.0)):
        seen.add("tick")


def handle_work_order(order: dict) -> None:
    log.info("work order %s", order.get("number"))


def work_order_consumer(inbox: queue.Queue) -> None:
    notify.arrive("futex")
    while True:
        order = inbox.get()
        if order is None:
            return
        handle_work_order(order)


def consume_work_orders(opts: dict) -> None:
    """Consumers of the CMMS's work-order events (fed by the CMMS webhook, quiet at night)."""
    inbox: queue.Queue = queue.Queue()
    workers = [threading.Thread(target=work_order_consumer, args=(inbox,), name=f"wo-consumer-{n}")
               for n in range(opts.get("workers", 2))]
    notify.expect(len(workers))
    for t in workers:
        t.start()
    for t in workers:
        t.join()


def listen_met_masts(opts: dict) -> None:
    """Met-mast loggers send their 1-minute UDP status datagrams here (every few minutes when calm)."""
    sel = selectors.DefaultSelector()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ)
    status: dict[str, bytes] = {}
    notify.arrive("blocked")
    while True:
        for key, _events in sel.select():
            data, peer = key.fileobj.recvfrom(2048)
            status[f"{peer[0]}:{peer[1]}"] = data
