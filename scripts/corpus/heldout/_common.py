"""Scaffolding of the held-out hang programs: fixtures/hangs/_scaffold.py's contract (README there),
with extra idle threads shaped like real services': a heartbeat loop in a ``threading.Thread``
subclass, a metrics flusher waiting on an Event with a timeout, and an idle ``ThreadPoolExecutor``
with long name counters; and a main thread that polls its workers with a timeout.
"""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_HERE = os.path.dirname(os.path.abspath(__file__))
# _scaffold.py is copied beside us by the corpus generator; run from the repository, it is in fixtures/hangs.
for _path in (os.path.join(_HERE, "..", "..", "..", "fixtures", "hangs"), _HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)
import _scaffold as fx

EXPECT = fx.EXPECT
record = fx.record
start = fx.spawn
ready = fx.announce_ready
_pdeathsig = fx.set_pdeathsig
_STOP = threading.Event()
_POOLS = []


def boot(program, description, add_arguments=None):
    """Parse the common options, die with our parent, start the extra (service-shaped) idle threads."""
    return fx.setup(program, description, add_arguments, start_idle=_service_idle_thread)


def _service_idle_thread(i):
    kind = i % 3
    if kind == 0:
        t = Heartbeat(name=f"heartbeat-{i}{fx.SUFFIX}")
        t.start()
        record(t, "idle")
    elif kind == 1:
        start(f"metrics-flush-{i}", "idle", flush_metrics_forever)
    else:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ThreadPoolExecutor-{11 + i}")
        pool.submit(int).result()
        _POOLS.append(pool)
        for t in threading.enumerate():
            if t.name.startswith(f"ThreadPoolExecutor-{11 + i}_"):
                record(t, "idle")


class Heartbeat(threading.Thread):
    """An idle helper with two frames of its own: run() -> _tick() -> sleep."""

    def __init__(self, name):
        super().__init__(name=name, daemon=True)

    def run(self):
        while not _STOP.is_set():
            self._tick()

    def _tick(self):
        time.sleep(30)


def flush_metrics_forever():
    while not _STOP.wait(15):
        pass


def wait_for_workers(threads):
    """Main thread of a service: poll the workers with a timeout, as supervisors do."""
    while all(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=5.0)
    sys.exit(f"{fx.FIXTURE}: a hung thread ended unexpectedly")
