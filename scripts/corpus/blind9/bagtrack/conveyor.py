"""Sorter diverts and chute closures on the baggage conveyor."""
import threading

from bagtrack import chutes, readiness
from bagtrack.registry import job

sorter_lock = threading.RLock()
_diverted = []


def divert_bag(tag, gate):
    with sorter_lock:
        gate.wait()
        readiness.probe.here("futex")
        chutes.reserve_chute(tag)
        _diverted.append(tag)


def reroute_bags(chute):
    sorter_lock.acquire()
    try:
        _diverted.append(chute)
    finally:
        sorter_lock.release()


def _queued_divert():
    with sorter_lock:
        pass


@job("conveyor-merge")
def merge_conveyors(knobs):
    gate = threading.Barrier(2)
    readiness.probe.arm(2)
    a = threading.Thread(target=divert_bag, args=(f"BAG{knobs.get('unit', 1)}", gate), name="sorter")
    b = threading.Thread(target=chutes.close_chute, args=(knobs.get("unit", 1), gate), name="chutes")
    a.start()
    b.start()
    readiness.probe.go()
    for _ in range(knobs.get("queued", 0)):
        threading.Thread(target=_queued_divert, daemon=True).start()
    a.join()
