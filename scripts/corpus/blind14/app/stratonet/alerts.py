"""Severe-weather alerts go out once a quorum of neighbouring stations confirms the reading."""
from __future__ import annotations

import threading


class QuorumGate:
    def __init__(self, needed: int) -> None:
        self.needed = needed
        self._votes = 0
        self._cond = threading.Condition()

    def vote(self) -> None:
        with self._cond:
            self._votes += 1

    def await_quorum(self) -> int:
        with self._cond:
            while self._votes < self.needed:
                self._cond.wait()
            return self._votes
