"""Healthy: the operations desk, a warm thread pool idle between lift schedule changes while the desk sleeps
between its housekeeping rounds."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .signals import Muster, announce, beacon


def _ready_worker(muster, gate):
    muster.check_in("futex")
    gate.wait()


def _round(pool, tally):
    tally["rounds"] = tally.get("rounds", 0) + 1
    return pool


def operations_desk(settings):
    workers = settings.get("workers", 3)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=settings.get("pool_prefix", "desk"))
    muster = Muster(workers)
    gate = threading.Barrier(workers)
    warmups = [pool.submit(_ready_worker, muster, gate) for _ in range(workers)]
    for warmup in warmups:
        warmup.result()
    announce(*muster.roll_call(), beacon("blocked"))
    tally = {}
    while True:
        time.sleep(settings.get("housekeeping_every", 5.0))
        _round(pool, tally)
