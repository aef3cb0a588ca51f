"""Status beacons to the lift control tower: which threads a task put to work and the kernel state each is
expected to reach once the task is under way (the tower's probe checks /proc against it)."""
import json
import os
import platform
import sys
import threading

_guard = threading.Lock()
_announced = []


def beacon(state):
    """The calling thread, expected in `state` (a syscall family, "blocked", or "running")."""
    return [os.getpid(), threading.get_native_id(), state]


def announce(*entries):
    with _guard:
        _announced.extend(entries)
        doc = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_announced),
               "role": "main"}
        sys.stdout.write("READY " + json.dumps(doc) + "\n")
        sys.stdout.flush()


class Muster:
    """Gathers the beacons of `crew` threads; `roll_call()` returns them once all of them checked in."""

    def __init__(self, crew, patience=30.0):
        self.crew = crew
        self.patience = patience
        self.beacons = []
        self._checked_in = threading.Semaphore(0)

    def check_in(self, state):
        self.beacons.append(beacon(state))
        self._checked_in.release()

    def roll_call(self):
        for _ in range(self.crew):
            if not self._checked_in.acquire(timeout=self.patience):
                raise RuntimeError("a crew member never checked in")
        return list(self.beacons)
