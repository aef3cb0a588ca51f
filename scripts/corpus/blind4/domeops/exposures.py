"""Healthy: the exposure service, a thread pool idle between exposure requests."""
import threading
from concurrent.futures import ThreadPoolExecutor

from .probes import announce, enlist, gather


def _report_in(add, gate):
    add(enlist("futex"))
    gate.wait()


def serve_exposures(opts):
    workers = opts.get("workers", 3)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=opts.get("pool_prefix", "expose"))
    add, wait_all = gather(workers)
    gate = threading.Barrier(workers)
    for f in [pool.submit(_report_in, add, gate) for _ in range(workers)]:
        f.result()
    announce(*wait_all(), enlist("futex"))
    shutdown = threading.Event()
    while not shutdown.wait(opts.get("housekeeping_every", 5.0)):
        pass
