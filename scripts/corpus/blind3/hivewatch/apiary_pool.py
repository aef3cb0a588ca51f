"""Healthy: the apiary task pool, idle between inspections."""
import threading
from concurrent.futures import ThreadPoolExecutor

from .signals import me, ready


def serve_inspections(opts):
    pool = ThreadPoolExecutor(max_workers=opts.get("workers", 3), thread_name_prefix=opts.get("pool_prefix", "apiary"))
    tids = []
    lock = threading.Lock()
    gate = threading.Barrier(opts.get("workers", 3))

    def note():
        with lock:
            tids.append(me("futex"))
        gate.wait()

    for _ in range(opts.get("workers", 3)):
        pool.submit(note)
    while len(tids) < opts.get("workers", 3):
        threading.Event().wait(0.01)
    threading.Event().wait(0.1)
    ready(*tids, me("futex"))
    stop = threading.Event()
    while not stop.wait(5.0):
        pass
