"""The watchdog's only notion of time: CLOCK_MONOTONIC, never the wall clock (which jumps).

Injectable so rate-limit and clock-jump logic can be tested without waiting; everything that waits for a
real process (grace periods, exits) waits on the process itself, bounded by this clock.
"""
from __future__ import annotations

import threading
import time


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Sleep up to ``seconds``; True if ``stop`` was set meanwhile."""
        if stop is None:
            time.sleep(max(0.0, seconds))
            return False
        return stop.wait(max(0.0, seconds))


class FakeClock(MonotonicClock):
    """A clock tests move by hand (``advance``); ``sleep`` advances it instead of waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.t += max(0.0, seconds)
        return bool(stop and stop.is_set())
