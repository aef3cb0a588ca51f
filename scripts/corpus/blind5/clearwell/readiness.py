"""Readiness reports to the plant supervisor: the threads that took part in a job and the kernel state each
should reach once the job is under way (the supervisor's probe compares that with /proc)."""
import json
import os
import platform
import sys
import threading

_lock = threading.Lock()
_expected = []


def expect(state):
    """The calling thread, expected to be in `state` (a syscall family, "blocked", or "running")."""
    return [os.getpid(), threading.get_native_id(), state]


def report_ready(*entries):
    with _lock:
        _expected.extend(entries)
        doc = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_expected),
               "role": "main"}
        sys.stdout.write("READY " + json.dumps(doc) + "\n")
        sys.stdout.flush()


class Rendezvous:
    """Collects the expectations of `count` participants; `wait()` returns them once every one arrived."""

    def __init__(self, count, timeout=30.0):
        self.count = count
        self.timeout = timeout
        self.entries = []
        self._arrived = threading.Semaphore(0)

    def arrive(self, state):
        self.entries.append(expect(state))
        self._arrived.release()

    def wait(self):
        for _ in range(self.count):
            if not self._arrived.acquire(timeout=self.timeout):
                raise RuntimeError("a participant never arrived")
        return list(self.entries)
