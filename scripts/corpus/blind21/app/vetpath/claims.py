"""Invoices and insurance claims: the nightly claim submission to the pet insurers' clearing house and the
invoice export to the accounting system."""
from __future__ import annotations

import asyncio
import json
import queue
import threading
import urllib.request

from . import runtime


def post_claim(url: str, claim: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(claim).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"{}")


async def submit_claims(cfg):
    """Submit the day's insurance claims (a coroutine so that it can share the loop with the portal client)."""
    url = f"http://127.0.0.1:{cfg.port}/v2/claims"
    claims = [{"invoice": f"INV-{cfg.get('unit', 1)}-{n}", "policy": "PX-77"} for n in range(cfg.get("rows", 1))]
    accepted = []
    for claim in claims:
        await asyncio.sleep(0)
        runtime.announce("recv")
        accepted.append(post_claim(url, claim))
    return accepted


def _write_invoices(out: queue.Queue, sink: list) -> None:
    while True:
        inv = out.get()
        sink.append(f"{inv['number']};{inv['total']:.2f}")


def enqueue_invoice(out: queue.Queue, invoice: dict) -> None:
    out.put(invoice)


def export_invoices(cfg):
    out: queue.Queue = queue.Queue(maxsize=4)
    sink: list = []
    writer = threading.Thread(target=_write_invoices, args=(out, sink), name="invoice-writer", daemon=True)
    writer.start()
    invoices = [{"number": f"INV-{n}", "total": 120.0 + n} for n in range(2)]
    invoices.append({"number": "INV-void", "total": None})  # voided invoices carry no total
    invoices += [{"number": f"INV-{n}", "total": 80.0} for n in range(3, 12 + cfg.get("queued", 0))]
    runtime.announce("futex")
    for inv in invoices:
        enqueue_invoice(out, inv)
    return sink
