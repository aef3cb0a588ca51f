"""Settings from the deployment (PARCELHUB_OPTS) and the READY line the fleet's probe waits for."""
from __future__ import annotations

import json
import os
import platform
import threading


def settings() -> dict:
    return json.loads(os.environ.get("PARCELHUB_OPTS") or "{}")


def announce(role: str, kind: str, **extra) -> None:
    """Tell the probe where this thread is about to wait (fd 1: celery and gunicorn replace sys.stdout)."""
    info = {"pid": os.getpid(), "tid": threading.get_native_id(), "role": role, "kind": kind,
            "python": platform.python_version(), **extra}
    os.write(1, b"READY " + json.dumps(info).encode() + b"\n")
