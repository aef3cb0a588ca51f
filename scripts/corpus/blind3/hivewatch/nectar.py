"""Healthy: nectar-flow readings consumers polling a queue."""
import queue
import threading

from .signals import me, ready


def _consume(q, entries):
    entries.append(me("futex"))
    while True:
        try:
            item = q.get(timeout=1.0)
        except queue.Empty:
            continue
        if item is None:
            return


def consume_nectar_flow(opts):
    q = queue.Queue()
    entries = []
    threads = [threading.Thread(target=_consume, args=(q, entries), name=f"nectar-{n}", daemon=True)
               for n in range(opts.get("workers", 2))]
    for t in threads:
        t.start()
    while len(entries) < len(threads):
        threading.Event().wait(0.01)
    ready(*entries)
    for t in threads:
        t.join()
