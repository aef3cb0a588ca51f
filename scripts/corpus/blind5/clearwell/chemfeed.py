"""Healthy: the chemical-feed service, a warm thread pool idle between feed-rate changes while the service
sleeps between housekeeping passes."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .readiness import Rendezvous, expect, report_ready


def _report_in(arrivals, gate):
    arrivals.arrive("futex")
    gate.wait()


def _housekeeping(pool, stats):
    stats["passes"] = stats.get("passes", 0) + 1
    return pool


def serve_feed_changes(opts):
    workers = opts.get("workers", 3)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=opts.get("pool_prefix", "feed"))
    arrivals = Rendezvous(workers)
    gate = threading.Barrier(workers)
    warmups = [pool.submit(_report_in, arrivals, gate) for _ in range(workers)]
    for warmup in warmups:
        warmup.result()
    report_ready(*arrivals.wait(), expect("blocked"))
    stats = {}
    while True:
        time.sleep(opts.get("housekeeping_every", 5.0))
        _housekeeping(pool, stats)
