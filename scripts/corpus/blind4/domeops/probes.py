"""Readiness reports to the night supervisor: the threads that took part in a task and what each should be
doing once the task is under way (the supervisor's health probe compares that with the kernel's view)."""
import json
import os
import platform
import sys
import threading

_guard = threading.Lock()
_enlisted = []


def enlist(state):
    """The calling thread, expected to be in `state` (a syscall family, or "running")."""
    return [os.getpid(), threading.get_native_id(), state]


def announce(*entries):
    with _guard:
        _enlisted.extend(entries)
        report = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_enlisted),
                  "role": "main"}
        sys.stdout.write("READY " + json.dumps(report) + "\n")
        sys.stdout.flush()


def gather(count, timeout=30.0):
    """A list the `count` participants append their entry to, and a wait until all did."""
    entries = []
    arrived = threading.Semaphore(0)

    def add(entry):
        entries.append(entry)
        arrived.release()

    def wait_all():
        for _ in range(count):
            if not arrived.acquire(timeout=timeout):
                raise RuntimeError("participant never reported")
        return list(entries)

    return add, wait_all
