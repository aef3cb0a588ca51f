"""Store order aggregation: each store's next-day order is pulled from the store portal API and summed per
SKU for the production plan; order intake feeds the aggregation worker through a bounded queue."""
import json
import queue
import threading
import time
import urllib.request

SKUS = {"baguette": 250, "croissant": 60, "rye-loaf": 800, "brioche": 400}


def fetch_store_orders(base, store):
    with urllib.request.urlopen(f"{base}/stores/{store}/orders?day=tomorrow") as resp:  # no timeout
        return json.load(resp)


def aggregate_store_orders(ctx):
    base = f"http://127.0.0.1:{ctx.opts['port']}"
    totals = {}
    ctx.ready("recv")
    for store in range(1, ctx.opts.get("stores", 3) + 1):
        for line in fetch_store_orders(base, store):
            totals[line["sku"]] = totals.get(line["sku"], 0) + line["qty"]
    return 0


def _aggregate(q, totals):
    while True:
        order = q.get()
        totals[order["sku"]] = totals.get(order["sku"], 0) + order["qty"] * SKUS[order["sku"]]
        q.task_done()


def enqueue_store_order(q, order):
    q.put(order)


def intake_store_orders(ctx):
    q = queue.Queue(maxsize=8)
    totals = {}
    worker = threading.Thread(target=_aggregate, args=(q, totals), name="order-aggregator", daemon=True)
    worker.start()
    orders = [{"store": s, "sku": sku, "qty": s % 5 + 1} for s in range(1, 6) for sku in SKUS]
    orders.insert(2, {"store": 3, "sku": "pain-au-chocolat", "qty": 4})  # a SKU the portal added this week
    time.sleep(0.05)
    for extra in range(ctx.opts.get("waiters", 0)):  # other intake feeds (EDI, phone orders)
        threading.Thread(target=lambda: [enqueue_store_order(q, o) for o in orders], name=f"intake-{extra}",
                         daemon=True).start()
    ctx.ready("futex")
    for order in orders * 3:
        enqueue_store_order(q, order)
    q.join()
    return 0
