"""Healthy: the filter backwash scheduler, waiting between scheduled backwashes, and the filter level watchers."""
import threading
import time

from .readiness import Rendezvous, expect, report_ready


def _watch_filter_level(cell, stop, every, arrivals):
    arrivals.arrive("futex")
    while not stop.wait(every):
        cell["checked"] = time.time()


def backwash_scheduler(opts):
    stop, wake = threading.Event(), threading.Event()
    watchers = opts.get("waiters", 0)
    arrivals = Rendezvous(watchers)
    for n in range(watchers):
        threading.Thread(target=_watch_filter_level, args=({}, stop, opts.get("poll_interval", 1.0), arrivals),
                         name=f"filter-level-{n + 1}", daemon=True).start()
    report_ready(*arrivals.wait(), expect("futex"))
    due = []
    while not stop.is_set():
        if wake.wait(timeout=opts.get("status_every", 5.0)):
            wake.clear()
            due.append(time.time())
