"""Compliance: the daily operating report is posted to the state regulator's portal from the report pool."""
import http.client
import json
from concurrent.futures import ThreadPoolExecutor

from .readiness import Rendezvous, expect, report_ready


def post_daily_report(port, report, arrivals):
    arrivals.arrive("recv")
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/portal/v2/daily-reports", body=json.dumps(report),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status


def compliance_report(opts):
    pool = ThreadPoolExecutor(max_workers=opts.get("workers", 2), thread_name_prefix=opts.get("pool_prefix", ""))
    arrivals = Rendezvous(1)
    report = {"plant": "WTP-2", "day": opts.get("unit", 1), "turbidity_max": 0.18, "cl2_min": 0.6}
    future = pool.submit(post_daily_report, opts["port"], report, arrivals)
    report_ready(*arrivals.wait(), expect("futex"))
    return future.result()
