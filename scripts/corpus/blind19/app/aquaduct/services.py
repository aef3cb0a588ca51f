"""The long-running services: the meter gateway, the notice portal, the sampling scheduler, the work-order
consumers and the SCADA event listener."""
from __future__ import annotations

import asyncio
import queue
import selectors
import socket
import socketserver
import threading


class _GatewayHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(b"ACK " + line)


def serve_meter_gateway(cfg: dict) -> None:
    """The AMI gateway's push endpoint (a line per interval read)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _GatewayHandler)
    server.daemon_threads = True
    server.serve_forever(poll_interval=float(cfg.get("poll_interval", 0.5)))


async def _notice_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    zone = (await reader.readline()).decode().strip()
    writer.write(f"no boil-water notice for {zone}\n".encode())
    await writer.drain()
    writer.close()


async def _expire_notices(every: float) -> None:
    while True:
        await asyncio.sleep(every)


async def serve_notice_portal(cfg: dict) -> None:
    """The public boil-water notice lookup."""
    server = await asyncio.start_server(_notice_client, "127.0.0.1", 0)
    asyncio.ensure_future(_expire_notices(float(cfg.get("sweep_every", 60.0))))
    async with server:
        await server.serve_forever()


def run_due_samples(plan: dict) -> int:
    return sum(1 for due in plan.values() if due)


def run_sample_scheduler(cfg: dict) -> None:
    """Schedule the compliance sampling rounds; idle between sweeps."""
    stop = threading.Event()
    plan = {f"SP-{n}": False for n in range(12)}
    while not stop.wait(float(cfg.get("sweep_every", 60.0))):
        run_due_samples(plan)


def _workorder_consumer(inbox: queue.Queue) -> None:
    while True:
        order = inbox.get()
        if order is None:
            break
        inbox.task_done()


def run_workorder_consumers(cfg: dict) -> None:
    """Work-order consumers fed by the CMMS bridge (idle until a crew files an order)."""
    inbox: queue.Queue = queue.Queue()
    consumers = [threading.Thread(target=_workorder_consumer, args=(inbox,), name=f"workorders-{i}")
                 for i in range(int(cfg.get("workers", 2)))]
    for c in consumers:
        c.start()
    for c in consumers:
        c.join()


def run_scada_listener(cfg: dict) -> None:
    """Receive RTU event pushes on a selectors loop."""
    sel = selectors.DefaultSelector()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select(timeout=float(cfg.get("poll_interval", 1.0))):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                conn.close()
