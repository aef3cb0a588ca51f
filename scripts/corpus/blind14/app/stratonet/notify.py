"""Service readiness, the way an sd_notify(READY=1) unit reports it: every thread a job hands its work to says
so just before it waits, and once the expected number have, one line goes to stdout for the supervisor."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading

_cond = threading.Condition()
_waiting: list[list] = []
_announced = threading.Event()


def waiting(kind: str, until_announced: bool = False) -> None:
    """The calling thread is about to wait (kind: the kernel wait the supervisor should see it in); a thread
    whose wait keeps the GIL waits for the announcement first, or it would never go out."""
    with _cond:
        _waiting.append([os.getpid(), threading.get_native_id(), kind])
        _cond.notify_all()
    if until_announced:
        _announced.wait()


def announce_when(count: int, timeout: float = 45.0) -> None:
    """Print READY once `count` threads said they wait (from a short-lived notifier thread)."""
    def notifier() -> None:
        with _cond:
            if not _cond.wait_for(lambda: len(_waiting) >= count, timeout):
                print(f"stratonet: only {len(_waiting)}/{count} threads reached their wait", file=sys.stderr)
                return
            settle = list(_waiting)
        line = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": settle}
        sys.stdout.write("READY " + json.dumps(line) + "\n")
        sys.stdout.flush()
        _announced.set()

    threading.Thread(target=notifier, name="sd-notify", daemon=True).start()
