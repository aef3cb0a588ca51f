"""Tells the ground-ops probe which threads a job put to work and the kernel state each should reach once
the job is under way (a syscall family, "blocked" or "running"); the probe compares /proc against it."""
import json
import os
import platform
import sys
import threading


class Readiness:
    def __init__(self):
        self._cond = threading.Condition()
        self._beacons = []
        self._owed = 0

    def arm(self, helpers):
        """`helpers` more threads will report with here() before go() may speak."""
        with self._cond:
            self._owed += helpers

    def here(self, state):
        with self._cond:
            self._beacons.append([os.getpid(), threading.get_native_id(), state])
            self._owed -= 1
            self._cond.notify_all()

    def go(self, state=None):
        """Wait for every armed helper, add the calling thread in `state`, print READY once."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._owed <= 0, timeout=30):
                raise RuntimeError("a helper thread never reported")
            if state:
                self._beacons.append([os.getpid(), threading.get_native_id(), state])
            doc = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": self._beacons,
                   "role": "main"}
        sys.stdout.write("READY " + json.dumps(doc) + "\n")
        sys.stdout.flush()


probe = Readiness()


def reset_after_fork():
    """A forked worker reports on its own."""
    global probe
    probe = Readiness()
    return probe
