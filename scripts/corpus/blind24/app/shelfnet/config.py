"""Deployment settings, read from the service unit's environment, and the readiness line the supervisor waits for."""
from __future__ import annotations

import json
import os
import platform
import threading

SETTINGS = json.loads(os.environ.get("SHELFNET_OPTS") or "{}")
BROKER = os.environ.get("SHELFNET_BROKER", "redis://127.0.0.1:6379/0")
PARTNER_HOST = "127.0.0.1"  # the consortium gateway (FTP/SMTP/SIP2/ILS behind one address)


def partner_port() -> int:
    return int(SETTINGS.get("port", 2121))


def scan_lock_path() -> str:
    return SETTINGS.get("lock_path", "/var/lib/shelfnet/scan-manifest.lock")


def announce(kind: str, role: str | None = None) -> None:
    """One READY line on fd 1 (celery swaps sys.stdout for a logger; the supervisor reads the real stdout)."""
    line = {"pid": os.getpid(), "tid": threading.get_native_id(), "kind": kind,
            "role": role or os.environ.get("SHELFNET_ROLE", ""), "python": platform.python_version()}
    os.write(1, ("READY " + json.dumps(line) + "\n").encode())
