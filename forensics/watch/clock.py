"""The watchdog's only notion of time: CLOCK_MONOTONIC, never the wall clock (which jumps).

Injectable so rate-limit and clock-jump logic can be tested without waiting; everything that waits for a
real process (grace periods, exits) waits on the process itself, bounded by this clock.
"""
from __future__ import annotations

import os
import select
import signal
import time
from typing import Protocol


class Stop(Protocol):
    """What a loop waits on to stop: ``threading.Event`` or ``StopSignal``."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class StopSignal:
    """A stop that signals give: its handler takes no lock. ``threading.Event.set()`` in a handler can deadlock: the
    handler runs in the main thread between two bytecodes, which may be inside that same Event's ``wait()`` with the
    Event's (non-reentrant) lock held. The handler sets a flag and writes a byte to a pipe that ``wait`` selects on,
    never drained: every later wait returns at once. One per process: its pipe lives as long as the process."""

    def __init__(self, *signals: signal.Signals) -> None:
        self._set = False
        self._r, self._w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        for sig in signals:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        self.set()

    def set(self) -> None:
        self._set = True
        try:
            os.write(self._w, b"x")
        except OSError:  # full: a byte is there already
            pass

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        if not self._set:
            select.select([self._r], [], [], timeout)
        return self._set


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, stop: Stop | None = None) -> bool:
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

    def sleep(self, seconds: float, stop: Stop | None = None) -> bool:
        self.t += max(0.0, seconds)
        return bool(stop and stop.is_set())
