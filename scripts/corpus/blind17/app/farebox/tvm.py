"""Ticket vending machines: the sales export to the clearing house and the asyncio telemetry link to the TVM
fleet's status concentrator."""
from __future__ import annotations

import asyncio
import queue
import socket
import threading
import time

GL_ACCOUNTS = {"SINGLE": "4100", "RETURN": "4105", "DAY": "4110", "WEEK": "4120", "MONTH": "4130"}
PRODUCTS = ("SINGLE", "DAY", "SINGLE", "WEEK", "DAY_REDUCED", "RETURN", "MONTH")


def ship_sales_to_clearing(outbox):
    while True:
        sale = outbox.get()
        account = GL_ACCOUNTS[sale["product"]]
        time.sleep(0.001)  # the clearing house POST
        sale["gl"] = account


def enqueue_sale(outbox, sale):
    outbox.put(sale)


def export_bank(job, outbox, bank):
    job.waiting("futex")
    for n in range(500):
        enqueue_sale(outbox, {"tvm": f"B{bank}-{n % 12}", "product": PRODUCTS[n % len(PRODUCTS)], "cents": 275})


def export_tvm_sales(job):
    """Read every TVM bank's sales and ship them to the clearing house through a bounded outbox."""
    outbox = queue.Queue(maxsize=64)
    extra = job.get("waiters", 0)
    job.expect(1 + extra)
    threading.Thread(target=ship_sales_to_clearing, args=(outbox,), name="clearing-shipper", daemon=True).start()
    banks = [threading.Thread(target=export_bank, args=(job, outbox, b + 1), name=f"tvm-bank-{b + 1}")
             for b in range(extra)]
    for t in banks:
        t.start()
    export_bank(job, outbox, 0)
    for t in banks:
        t.join()
    return 0


def read_tvm_frame(sock):
    sock.sendall(b"STATUS?\n")
    return sock.recv(512)


class TvmTelemetry:
    """The status link to the TVM concentrator: an asyncio loop on a thread of its own."""

    def __init__(self, job):
        self.job = job
        self.loop = asyncio.new_event_loop()
        self.status = {}
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="tvm-telemetry", daemon=True)

    def start(self):
        self.thread.start()
        self.connected.wait()

    def _serve(self):
        asyncio.set_event_loop(self.loop)
        self.loop.create_task(self.poll_tvm_status())
        self.loop.run_forever()

    async def poll_tvm_status(self):
        sock = socket.create_connection(("127.0.0.1", self.job.get("port")))
        self.connected.set()
        self.job.waiting("recv")
        while True:
            frame = read_tvm_frame(sock)
            self.status.update(raw=frame)
            await asyncio.sleep(self.job.get("poll_interval", 1.0))

    async def coin_levels(self):
        return dict(self.status)


def audit_coin_vaults(job):
    """Compare each TVM's coin vault level with the cash office's count."""
    job.expect(2)
    link = TvmTelemetry(job)
    link.start()
    job.waiting("futex")
    levels = asyncio.run_coroutine_threadsafe(link.coin_levels(), link.loop).result()
    return 0 if levels else 1
