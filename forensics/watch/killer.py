"""Signals that cannot reach the wrong process: a pidfd, the start time re-checked through it, then the signal.

A pid alone can be reused between a decision and a kill; a pidfd opened and then checked against
/proc/PID/stat (start time) names exactly the process we decided about, and every later signal or wait goes
through it: if that process exits, the pidfd signals ESRCH instead of hitting a newcomer. Never pid 1,
the watchdog or its ancestors; never SIGKILL while the kernel is writing a core (``CoreDumping: 1``).
"""
from __future__ import annotations

import os
import select
import signal
from dataclasses import dataclass

from forensics.identity import ProcessIdentity
from forensics.procraw import read_bytes
from forensics.targets import self_and_ancestors
from forensics.watch.sampler import core_dumping


@dataclass(frozen=True)
class Refusal:
    """Why no signal was sent: gone, reused, protected, zombie, uninterruptible, core_dumping."""

    reason: str
    detail: str


def _stat(pid: int) -> tuple[str, int] | None:
    try:
        tail = read_bytes(f"/proc/{pid}/stat").rpartition(b")")[2].split()
    except OSError:
        return None
    return tail[0].decode(), int(tail[19])


def protected() -> frozenset[int]:
    return frozenset(self_and_ancestors() | {0, 1})


class Handle:
    """An open pidfd on one verified process; ``refusal`` is set instead when it could not be opened safely."""

    def __init__(self, ident: ProcessIdentity, never: frozenset[int] | None = None) -> None:
        self.ident = ident
        self.fd: int | None = None
        self.refusal: Refusal | None = None
        if ident.pid in (never if never is not None else protected()):
            self.refusal = Refusal("protected", f"pid {ident.pid} is pid 1, the watchdog or one of its ancestors")
            return
        try:
            self.fd = os.pidfd_open(ident.pid)
        except ProcessLookupError:
            self.refusal = Refusal("gone", f"pid {ident.pid} exited")
            return
        self.refusal = self.check()
        if self.refusal is not None:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def check(self, sig: int | None = None) -> Refusal | None:
        """Re-check what the pidfd names through /proc, just before a signal."""
        st = _stat(self.ident.pid)
        if st is None:
            return Refusal("gone", f"pid {self.ident.pid} exited")
        state, start = st
        if start != self.ident.start_ticks:
            return Refusal("reused", f"pid {self.ident.pid} now names another process (start time {start}, "
                                     f"expected {self.ident.start_ticks})")
        if state in ("Z", "X"):
            return Refusal("zombie", f"pid {self.ident.pid} already exited; its parent has not reaped it")
        if self.exited():
            return Refusal("gone", f"pid {self.ident.pid} exited")
        if state == "D":
            return Refusal("uninterruptible", f"pid {self.ident.pid} is in D state: no signal acts until the "
                                              "kernel lets it go (reported once, not retried)")
        if sig == signal.SIGKILL and core_dumping(self.ident.pid):
            return Refusal("core_dumping", f"pid {self.ident.pid} is writing a core; SIGKILL would truncate it")
        return None

    def send(self, sig: int) -> Refusal | None:
        """Signal through the pidfd after the checks; a Refusal when nothing was sent."""
        if self.fd is None:
            return self.refusal or Refusal("gone", "no pidfd")
        refusal = self.check(sig)
        if refusal is not None:
            return refusal
        try:
            signal.pidfd_send_signal(self.fd, sig)
        except ProcessLookupError:
            return Refusal("gone", f"pid {self.ident.pid} exited")
        return None

    def exited(self, timeout: float = 0.0) -> bool:
        """True once the process has exited (a pidfd polls readable then), waiting up to ``timeout`` s."""
        if self.fd is None:
            return True
        return bool(select.select([self.fd], [], [], max(0.0, timeout))[0])
