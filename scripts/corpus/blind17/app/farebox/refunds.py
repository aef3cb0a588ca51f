"""Refunds: card refunds go through the payment processor on a few connection slots; the refund consumers
take requests from the customer-care intake."""
from __future__ import annotations

import queue
import threading
import time

_PROCESSOR_SLOTS = threading.BoundedSemaphore(4)


class Declined(Exception):
    pass


def processor_call(refund):
    time.sleep(0.005)
    if refund["card"].endswith("3"):  # expired cards are declined by the acquirer
        raise Declined(refund["card"])
    return {"auth": refund["card"][-4:]}


def issue_refund(refund):
    _PROCESSOR_SLOTS.acquire()
    result = processor_call(refund)
    _PROCESSOR_SLOTS.release()
    return result


def _refund_worker(job, pending, done):
    job.waiting("futex")
    while True:
        try:
            refund = pending.pop()
        except IndexError:
            return
        try:
            done.append(issue_refund(refund))
        except Declined:
            done.append(None)


def process_refund_queue(job):
    pending = [{"card": f"4000{n:08d}", "cents": 275} for n in range(400)]
    done = []
    workers = job.get("waiters", 0)
    job.expect(1 + workers)
    threads = [threading.Thread(target=_refund_worker, args=(job, pending, done), name=f"refund-{i + 1}")
               for i in range(workers)]
    for t in threads:
        t.start()
    _refund_worker(job, pending, done)
    for t in threads:
        t.join()
    return 0


def _consume(job, requests):
    job.waiting("futex")
    while True:
        item = requests.get()
        if item is None:
            return
        issue_refund(item)


def _intake(job, requests, stop):
    job.waiting("futex")
    while not stop.wait(job.get("poll_interval", 1.0)):
        pass  # nothing new in the customer-care inbox


def run_refund_consumers(job):
    """The refund service: consumers fed by the intake poller."""
    requests = queue.Queue()
    stop = threading.Event()
    n = job.get("workers", 2)
    job.expect(n + 1)
    consumers = [threading.Thread(target=_consume, args=(job, requests), name=f"refund-consumer-{i}")
                 for i in range(n)]
    for t in consumers:
        t.start()
    threading.Thread(target=_intake, args=(job, requests, stop), name="refund-intake", daemon=True).start()
    for t in consumers:
        t.join()
    return 0
