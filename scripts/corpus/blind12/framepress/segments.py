"""The segment board: the packager marks HLS segments ready and notifies; the publisher waits for the ones it
needs. A packager that fails on a corrupt GOP returns without marking its segments."""
from __future__ import annotations

import threading


class SegmentBoard:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: set[int] = set()

    def mark_ready(self, index: int) -> None:
        with self._cond:
            self._ready.add(index)
            self._cond.notify_all()

    def await_segment_ready(self, index: int) -> None:
        with self._cond:
            while index not in self._ready:
                self._cond.wait()


def package_segments(board: SegmentBoard, first: int, count: int, corrupt_at: int) -> None:
    for index in range(first, first + count):
        if index == corrupt_at:
            return  # the real packager logs "corrupt GOP" and gives up on the rest of the window
        board.mark_ready(index)
