"""Container repricing in a process pool, and the quote service's warm process pool."""
import ctypes
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

from quaysync import lifecycle


def _reprice_one(box):
    if box["hazmat"] and box["kg"] > 30000:
        ctypes.string_at(0)
    return box["kg"] * 0.012


def reprice_containers(opts):
    lifecycle.expect(reprice="futex")
    boxes = [{"id": n, "kg": 12000 + n * 2500, "hazmat": n % 5 == 4} for n in range(opts.get("rows", 3) + 10)]
    with multiprocessing.get_context("fork").Pool(opts.get("workers", 2)) as pool:
        lifecycle.enter("reprice")
        return sum(pool.map(_reprice_one, boxes))


def _quote(n):
    return os.getpid()


def serve_quotes(opts):
    workers = opts.get("workers", 2)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    children = sorted(set(pool.map(_quote, range(workers * 4))))
    which = opts.get("capture_child")
    if which is not None:
        child = children[which % len(children)]
        lifecycle.expect(quotes="futex", child="any")
        lifecycle.note(capture_pid=child, role="pool-child")
        lifecycle.enter("child", pid=child, tid=child)
    else:
        lifecycle.expect(quotes="futex")
        lifecycle.note(role="main")
    halt = threading.Event()
    lifecycle.enter("quotes")
    while not halt.wait(5.0):
        pass
