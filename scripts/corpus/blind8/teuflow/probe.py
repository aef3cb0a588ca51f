"""Readiness probe for the terminal supervisor: which threads a job put to work and the kernel state each is
expected to reach once the job is under way (the supervisor's probe checks /proc against it)."""
import json
import os
import platform
import sys
import threading

_mutex = threading.Lock()
_reported = []


def here(state):
    """The calling thread, expected in `state` (a syscall family, "blocked", or "running")."""
    return [os.getpid(), threading.get_native_id(), state]


def report_ready(*entries):
    with _mutex:
        _reported.extend(entries)
        doc = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_reported),
               "role": "main"}
        sys.stdout.write("READY " + json.dumps(doc) + "\n")
        sys.stdout.flush()


class Roster:
    """Collects the probes of `size` threads; `complete()` returns them once every one of them signed on."""

    def __init__(self, size, patience=30.0):
        self.size = size
        self.patience = patience
        self.entries = []
        self._signed = threading.Semaphore(0)

    def sign_on(self, state):
        self.entries.append(here(state))
        self._signed.release()

    def complete(self):
        for _ in range(self.size):
            if not self._signed.acquire(timeout=self.patience):
                raise RuntimeError("a thread never signed on to the roster")
        return list(self.entries)
