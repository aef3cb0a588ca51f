"""Deployment settings (from the service unit's environment) and the READY report the ops probe reads."""
from __future__ import annotations

import json
import os
import platform
import threading

BROKER = os.environ.get("CURBSIDE_BROKER", "redis://127.0.0.1:6379/0")
OPTS = json.loads(os.environ.get("CURBSIDE_OPTS", "{}"))
UPSTREAM_HOST = "127.0.0.1"
UPSTREAM_PORT = int(OPTS.get("port", 0))  # the DMV registry / mail relay / camera gateway in this environment
ROLL_LOCK = OPTS.get("lock_path", "/tmp/permit-roll.lock")


def report(kind: str, role: str | None = None, main: bool = False) -> None:
    """One READY line on fd 1 (past any stdout redirection) for the deployment probe."""
    pid = os.getpid()
    doc = {"pid": pid, "tid": pid if main else threading.get_native_id(), "kind": kind,
           "role": role or os.environ.get("CURBSIDE_ROLE", ""), "python": platform.python_version()}
    os.write(1, ("READY " + json.dumps(doc) + "\n").encode())
