"""Yard stacking: the yard move dispatcher and the stack index."""
from __future__ import annotations

import fcntl
import os
import queue
import threading

from quayside.runtime import READY


def straddle_carrier_consumer(moves: queue.Queue) -> None:
    move = moves.get()
    raise KeyError(f"unknown block {move['block']}")  # dies on the first move with a retired block


def enqueue_yard_move(moves: queue.Queue, move: dict) -> None:
    moves.put(move)


def dispatch_yard_moves(opts: dict):
    moves: queue.Queue = queue.Queue(maxsize=4)
    carrier = threading.Thread(target=straddle_carrier_consumer, args=(moves,), name="sc-dispatch", daemon=True)
    carrier.start()
    enqueue_yard_move(moves, {"block": "Z9", "bay": 1})
    carrier.join()
    for n in range(4):
        enqueue_yard_move(moves, {"block": "A1", "bay": n})
    READY.mark("futex")
    enqueue_yard_move(moves, {"block": "A2", "bay": 7})


def lock_stack_index(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    READY.mark("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)  # shared with the nightly re-marshalling tool
    return fd


def rebuild_stack_index(opts: dict):
    fd = lock_stack_index(opts["lock_path"])
    try:
        os.write(fd, b"stack index\n")
    finally:
        os.close(fd)
