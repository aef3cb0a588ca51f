"""Deployment plumbing: the settings the service unit passes, and the start-up/progress line the ops agent
reads from the process's stdout (written on fd 1: celery redirects sys.stdout of its workers)."""
from __future__ import annotations

import json
import os
import platform
import threading


def settings() -> dict:
    return json.loads(os.environ.get("ADJUSTRA_OPTS", "{}"))


def broker_url() -> str:
    return os.environ.get("ADJUSTRA_BROKER", "redis://127.0.0.1:6379/0")


def report(kind: str, role: str | None = None) -> None:
    line = {"pid": os.getpid(), "tid": threading.get_native_id(), "kind": kind,
            "role": role or os.environ.get("ADJUSTRA_ROLE", ""), "python": platform.python_version()}
    os.write(1, ("READY " + json.dumps(line) + "\n").encode())
