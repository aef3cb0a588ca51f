"""Reduced-fare eligibility: applications (seniors, students, low-income) are checked by parsing the uploaded
documents in worker processes; the fare-quote service keeps a process pool warm."""
from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import socket
import threading


def parse_income_document(doc):
    if doc["pages"] > 40:
        # the rasterizer of the PDF library grows without bound on huge scans: the kernel's OOM killer ends it
        os.kill(os.getpid(), signal.SIGKILL)
    return {"income": 1000 * doc["pages"]}


def check_income_documents(application):
    return all(parse_income_document(d)["income"] < 40000 for d in application["documents"])


def verify_eligibility_batch(job):
    applications = [{"id": n, "documents": [{"pages": 3 + 20 * n}]} for n in range(job.get("rows", 3) + 2)]
    approved = []
    job.expect()
    with multiprocessing.Pool(processes=job.get("workers", 2)) as pool:
        job.waiting("futex")
        for application in applications:
            if pool.apply(check_income_documents, (application,)):
                approved.append(application["id"])
    return 0


def quote_fare(zones):
    return 250 + 60 * max(0, zones - 1)


def _quote_intake(job, server, requests):
    """Quote requests from the journey planner: one line with the number of zones per connection."""
    job.waiting("blocked")
    while True:
        conn, _ = server.accept()
        zones = int(conn.makefile("rb").readline() or b"1")
        requests.put((zones, lambda cents, c=conn: (c.sendall(b"%d\n" % cents), c.close())))


def serve_fare_quotes(job):
    """The fare-quote service: requests from the journey planner are priced on a warm process pool."""
    requests = queue.Queue()
    server = socket.create_server(("127.0.0.1", 0))
    job.expect(2)
    with multiprocessing.Pool(processes=job.get("workers", 2)) as pool:
        threading.Thread(target=_quote_intake, args=(job, server, requests), name="quote-intake", daemon=True).start()
        job.waiting("futex")
        while True:
            zones, reply = requests.get()
            reply(pool.apply_async(quote_fare, (zones,)).get())
