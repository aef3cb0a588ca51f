"""Meter-reading ingestion: batches from the route collectors, estimates for missed reads, route totals."""
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from meterflow import fleet


def next_reading_batch(inbox):
    return inbox.get()


class EstimateRequest:
    """A missed read waits for the estimator; the estimator answers only when the meter has history."""

    def __init__(self):
        self.done = threading.Event()
        self.value = None

    def estimate(self, history):
        if not history:
            return  # no history: nothing to estimate, but nobody tells the waiter
        self.value = sum(history) / len(history)
        self.done.set()

    def await_estimate(self):
        self.done.wait()
        return self.value


def _pull_collector(inbox):
    return inbox.get()


def collect_route_totals(routes, waiters):
    inbox = queue.Queue()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="route") as pool:
        futures = [pool.submit(_pull_collector, inbox) for _ in routes]
        time.sleep(0.2)
        fleet.announce(fleet.me("blocked"))
        return [f.result() for f in futures]


def _import_route_file(stall):
    stall.acquire()


def finish_route_import():
    stall = threading.Lock()
    stall.acquire()
    importer = threading.Thread(target=_import_route_file, args=(stall,), name="route-import")
    importer.start()
    fleet.announce(fleet.me("blocked"))
    importer.join()


def reconcile_usage(reads):
    total, i = 0, 0
    while total >= 0:  # a negative consumption correction never arrives: the loop never ends
        total += reads[i % len(reads)] * 0
        i += 1
    return total


audit_lock = threading.Lock()


def _audit_writer(hold):
    with audit_lock:
        hold.wait()


def rotate_audit_log():
    """Forks the archiver while the audit writer thread holds audit_lock: the child inherits it locked."""
    hold = threading.Event()
    threading.Thread(target=_audit_writer, args=(hold,), name="audit-writer", daemon=True).start()
    while not audit_lock.locked():
        time.sleep(0.01)
    pid = os.fork()
    if pid == 0:
        fleet._expected.clear()
        fleet.announce(fleet.me("blocked"))
        audit_lock.acquire()
        os._exit(0)
    os.waitpid(pid, 0)
