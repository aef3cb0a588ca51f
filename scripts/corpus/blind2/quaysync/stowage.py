"""Stowage planning: each bay is planned in the pool, and scores its slots in the same pool."""
import threading
from concurrent.futures import ThreadPoolExecutor

from quaysync import lifecycle


class StowagePlanner:
    def __init__(self, workers, prefix):
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
        self._loaded = threading.Barrier(workers)

    def _score_slot(self, bay, slot):
        return bay * 10 + slot

    def plan_bay(self, bay):
        self._loaded.wait(10)
        slots = [self._pool.submit(self._score_slot, bay, s) for s in range(4)]
        lifecycle.enter("bay")
        return max(f.result() for f in slots)

    def plan_all_bays(self):
        bays = [self._pool.submit(self.plan_bay, b) for b in range(self.workers)]
        lifecycle.enter("discharge")
        return [b.result() for b in bays]


def plan_discharge(opts):
    workers = opts.get("workers", 2)
    lifecycle.expect(discharge="futex")
    lifecycle.expect(bay="futex", count=workers)
    return StowagePlanner(workers, opts.get("pool_prefix", "")).plan_all_bays()
