"""Deployment settings from the service unit's environment, and the READY line the supervisor waits for."""
from __future__ import annotations

import json
import os
import sys
import threading

BROKER = os.environ.get("AMPORA_BROKER", "redis://127.0.0.1:6379/0")
UPSTREAM = json.loads(os.environ.get("AMPORA_OPTS") or "{}")


def upstream_port() -> int:
    """The vendor endpoint (SMS gateway, pricing engine, head-end, FTP drop...) this site is wired to."""
    return int(UPSTREAM.get("port", 9))


def export_lock_path() -> str:
    return UPSTREAM.get("lock_path", "/run/ampora/export.lock")


def announce(kind: str, role: str | None = None) -> None:
    """One READY line on fd 1 (celery redirects sys.stdout to its logger; the fd itself is the supervisor's pipe)."""
    report = {"pid": os.getpid(), "tid": threading.get_native_id(), "kind": kind,
              "role": role or os.environ.get("AMPORA_ROLE", ""), "python": sys.version.split()[0]}
    os.write(1, ("READY " + json.dumps(report) + "\n").encode())
