"""Pass sales: the day's lift pass sales are pushed to the ticketing back office from the sync pool."""
import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from .signals import Muster, announce, beacon


def push_pass_sales(port, batch, muster):
    muster.check_in("recv")
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("PUT", "/backoffice/v3/sales/batch", body=json.dumps(batch),
                 headers={"Content-Type": "application/json", "X-Resort": "north-ridge"})
    reply = conn.getresponse()
    return reply.status


def pass_sales_sync(settings):
    pool = ThreadPoolExecutor(max_workers=settings.get("workers", 2), thread_name_prefix=settings.get("pool_prefix", ""))
    muster = Muster(1)
    batch = {"day": settings.get("unit", 1), "passes": [{"kind": "adult-day", "count": 412}]}
    pending = pool.submit(push_pass_sales, settings["port"], batch, muster)
    announce(*muster.roll_call(), beacon("futex"))
    return pending.result()
