"""Readiness notification for the process supervisor (an sd_notify-style line on stdout).

Each thread that reaches the point where the service is "up" calls arrive(); once the number of threads the
job announced with expect() have arrived, one READY line with their ids and states is written."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading

_lock = threading.Lock()
_parties: list[list[object]] = []
_expected = 1
_sent = False
_role = "main"


def expect(count: int) -> None:
    global _expected
    with _lock:
        _expected = count


def role(name: str) -> None:
    global _role
    _role = name


def arrive(state: str = "blocked") -> None:
    """This thread is about to block (or spin, state "running") in its steady state."""
    global _sent
    with _lock:
        _parties.append([os.getpid(), threading.get_native_id(), state])
        if not _sent and len(_parties) >= _expected:
            _sent = True
            report = {"python": platform.python_version(), "pid": os.getpid(), "capture_pid": os.getpid(),
                      "settle": _parties, "role": _role}
            sys.stdout.write("READY " + json.dumps(report) + "\n")
            sys.stdout.flush()
