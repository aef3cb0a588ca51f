"""The automated returns sorter: the book drop's conveyor thread sorts returned items into bins and hands
each result back to the check-in job."""
from __future__ import annotations

import queue
import threading


class Sorter:
    def __init__(self) -> None:
        self.sorted: queue.Queue = queue.Queue()

    def conveyor(self, items: list) -> None:
        for item in items:
            bin_no = int(item[-3:]) % 8  # a damaged barcode ends the conveyor thread
            self.sorted.put((item, bin_no))

    def next_sorted_return(self, ctx) -> tuple:
        ctx.checkpoint("futex")
        return self.sorted.get()


def check_in_returns(ctx) -> None:
    ctx.expect(1)
    sorter = Sorter()
    items = [f"31234000{n:04d}" for n in range(3)] + ["3123400??"]
    t = threading.Thread(target=sorter.conveyor, args=(items,), name="conveyor")
    t.start()
    t.join()
    for _ in range(len(items)):
        sorter.next_sorted_return(ctx)
