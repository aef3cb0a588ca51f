"""Flight turnaround jobs: weight and balance, the reclaim carousel, pushback clearance, manifests, pier workers."""
import multiprocessing
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from bagtrack import readiness
from bagtrack.registry import job


def run_balance_solver():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100000)"])
    readiness.probe.go("wait4")
    return proc.wait()


@job("weight-balance")
def weight_and_balance(knobs):
    return run_balance_solver()


class Carousel:
    def __init__(self):
        self.belt = queue.Queue()

    def feed(self):
        raise ConnectionResetError("scanner link dropped")  # the feeder dies before its first bag

    def next_bag_on_belt(self):
        readiness.probe.go("futex")
        return self.belt.get()


@job("carousel-feed")
def run_carousel(knobs):
    c = Carousel()
    t = threading.Thread(target=c.feed, name="carousel-feeder")
    t.start()
    t.join()
    return c.next_bag_on_belt()


class Pushback:
    def __init__(self):
        self.cleared = threading.Event()

    def grant_clearance(self, tug_ready):
        if not tug_ready:
            return  # retried by nobody
        self.cleared.set()

    def await_pushback_clearance(self):
        readiness.probe.go("futex")
        self.cleared.wait()


def _also_waiting(pb):
    readiness.probe.here("futex")
    pb.cleared.wait()


@job("pushback-clearance")
def request_pushback(knobs):
    pb = Pushback()
    readiness.probe.arm(knobs.get("waiters", 0))
    for k in range(knobs.get("waiters", 0)):
        threading.Thread(target=_also_waiting, args=(pb,), name=f"stand-{k}", daemon=True).start()
    threading.Thread(target=pb.grant_clearance, args=(False,), name="tower").start()
    pb.await_pushback_clearance()


def _match_manifest(flight):
    time.sleep(100000)  # the DCS lookup this stands for never answers
    return flight


def reconcile_manifests(flights):
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        futures = [pool.submit(_match_manifest, f) for f in flights]
        readiness.probe.go("futex")
        return [f.result() for f in futures]


@job("manifest-reconcile")
def reconcile(knobs):
    return reconcile_manifests([f"BA{100 + k}" for k in range(knobs.get("rows", 1))])


stats_lock = threading.Lock()
_pier_stats = {}


def _flush_stats(holding):
    with stats_lock:
        holding.set()
        time.sleep(100000)


def record_pier_stats(pier):
    readiness.probe.go("futex")
    with stats_lock:
        _pier_stats[pier] = time.time()


@job("pier-worker-fork")
def start_pier_worker(knobs):
    holding = threading.Event()
    threading.Thread(target=_flush_stats, args=(holding,), name="stats-flush", daemon=True).start()
    holding.wait()
    pid = os.fork()
    if pid == 0:
        readiness.reset_after_fork()
        record_pier_stats(knobs.get("unit", 1))
        os._exit(0)
    os.waitpid(pid, 0)
