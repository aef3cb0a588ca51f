"""Pollen trap counting."""
import queue
import threading

from .signals import me, ready


def _trap_feeder(q, n):
    for i in range(n):
        q.put(i)
    raise OSError("pollen trap disconnected")


def tally_pollen(q):
    total = 0
    ready(me("futex"))
    while True:
        item = q.get()
        if item is None:
            return total
        total += item


def pollen_count(opts):
    q = queue.Queue()
    t = threading.Thread(target=_trap_feeder, args=(q, opts.get("rows", 2)), name="trap-feeder")
    t.start()
    t.join()
    return tally_pollen(q)
