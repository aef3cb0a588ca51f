"""Readiness reports to the pharmacy's service monitor: which threads a task set to work and the kernel state
each should reach once the task is under way (the monitor's probe checks /proc against it)."""
import json
import os
import platform
import sys
import threading

_report_lock = threading.Lock()
_reported = []


def expect(state):
    """The calling thread, expected in `state` (a syscall family, "blocked", or "running")."""
    return [os.getpid(), threading.get_native_id(), state]


def report_ready(*entries, role="main"):
    with _report_lock:
        _reported.extend(entries)
        doc = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_reported),
               "role": role}
        sys.stdout.write("READY " + json.dumps(doc) + "\n")
        sys.stdout.flush()


class Roster:
    """Collects the expectations of `staff` threads; `all_present()` returns them once every one signed on."""

    def __init__(self, staff, patience=30.0):
        self.staff = staff
        self.patience = patience
        self.entries = []
        self._signed = threading.Semaphore(0)

    def sign_on(self, state):
        self.entries.append(expect(state))
        self._signed.release()

    def all_present(self):
        for _ in range(self.staff):
            if not self._signed.acquire(timeout=self.patience):
                raise RuntimeError("a thread never signed on")
        return list(self.entries)
