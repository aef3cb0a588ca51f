"""A batch of segments is drained by a helper thread; finishing the batch joins it. The drainer stops on a
None sentinel, which the finishing path only sends when every segment uploaded."""
from __future__ import annotations

import queue
import threading


def drain_segments(inbox: queue.Queue, done: list) -> None:
    while True:
        item = inbox.get()
        if item is None:
            return
        done.append(item)


def finish_batch(drainer: threading.Thread, inbox: queue.Queue, failed: bool) -> None:
    if not failed:
        inbox.put(None)
    drainer.join()
