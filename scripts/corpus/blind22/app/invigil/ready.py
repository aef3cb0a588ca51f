"""Startup/progress beacons on the service's stdout (the deployment's supervisor watches for them)."""
from __future__ import annotations

import json
import os
import platform
import threading


def announce(role: str, kind: str = "blocked") -> None:
    """One READY line for the calling thread: the thread is about to wait in `kind`."""
    line = {"pid": os.getpid(), "tid": threading.get_native_id(), "kind": kind, "role": role,
            "python": platform.python_version()}
    os.write(1, f"READY {json.dumps(line)}\n".encode())
