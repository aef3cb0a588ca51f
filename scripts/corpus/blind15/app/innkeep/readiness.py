"""Readiness notification (like sd_notify READY=1): every long-lived thread checks in once it is about to
wait; when all expected threads did, the supervisor gets one READY line on stdout with what each thread waits
in, so it can watch the worker's threads."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading

_cond = threading.Condition()
_checked_in: list[list] = []
_bystanders = 0
_job_threads: int | None = None
_announced = False


def bystanders(n: int) -> None:
    """The runner's own service threads (heartbeats, flushers, the harness) that will check in."""
    global _bystanders
    with _cond:
        _bystanders += n


def expect(n: int) -> None:
    """The job declares how many of its threads will check in."""
    global _job_threads
    with _cond:
        _job_threads = (_job_threads or 0) + n
        _maybe_announce()


def check_in(waits_in: str) -> None:
    """The calling thread is about to wait in `waits_in` (futex, recv, wait4, flock, sleep, running, wait)."""
    entry = [os.getpid(), threading.get_native_id(), waits_in]
    with _cond:
        for n, seen in enumerate(_checked_in):
            if seen[:2] == entry[:2]:  # the same thread again: it waits somewhere else now
                _checked_in[n] = entry
                break
        else:
            _checked_in.append(entry)
        _cond.notify_all()
        _maybe_announce()


def wait_for_bystanders() -> None:
    with _cond:
        _cond.wait_for(lambda: len(_checked_in) >= _bystanders, timeout=30)


def _maybe_announce() -> None:
    global _announced
    if _announced or _job_threads is None or len(_checked_in) < _bystanders + _job_threads:
        return
    _announced = True
    info = {"python": platform.python_version(), "pid": os.getpid(), "capture_pid": os.getpid(),
            "settle": list(_checked_in), "role": "main"}
    sys.stdout.write("READY " + json.dumps(info) + "\n")
    sys.stdout.flush()
