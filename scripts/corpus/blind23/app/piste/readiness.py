"""Readiness reporting for the ops supervisor: each job says how many of its threads are about to park in a
long wait, and once all have, one line is printed on stdout so the supervisor knows the job reached steady
state (it then inspects the threads named in it)."""
from __future__ import annotations

import json
import os
import platform
import threading

_lock = threading.Lock()
_parked: list[list[object]] = []
_expected = 1
_said = False


def expect(n: int) -> None:
    global _expected
    with _lock:
        _expected = max(1, n)


def parked(state: str) -> None:
    """The calling thread is about to enter its long wait (`state`: what it will sit in)."""
    global _said
    with _lock:
        _parked.append([os.getpid(), threading.get_native_id(), state])
        if _said or len(_parked) < _expected:
            return
        _said = True
        line = {"python": platform.python_version(), "capture_pid": os.getpid(), "settle": list(_parked),
                "role": "main"}
    os.write(1, b"READY " + json.dumps(line).encode() + b"\n")
