"""The READY line the fleet supervisor waits for."""
import json
import os
import platform
import sys
import threading

_lock = threading.Lock()
_settle = []


def me(kind):
    """The calling thread, to be settled in `kind`."""
    return [os.getpid(), threading.get_native_id(), kind]


def ready(*entries, role="main"):
    with _lock:
        _settle.extend(entries)
        line = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": list(_settle),
                "role": role}
        sys.stdout.write("READY " + json.dumps(line) + "\n")
        sys.stdout.flush()
