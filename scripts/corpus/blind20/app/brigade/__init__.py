"""brigade: the ordering & kitchen backend of a restaurant chain (order intake, kitchen display tickets, menu
sync, delivery-partner webhooks, loyalty points, inventory counts, receipt printing, payment capture, shift
scheduling). Runs as celery workers, a gunicorn web tier and RQ back-office workers."""
from __future__ import annotations

import json
import os
import platform
import threading

__version__ = "3.4.0"


def settings() -> dict:
    """The deployment's settings (upstream ports, the ledger lock path), from BRIGADE_OPTS."""
    return json.loads(os.environ.get("BRIGADE_OPTS") or "{}")


def announce(kind: str, role: str | None = None, **extra) -> None:
    """One READY line on the real stdout (fd 1: celery redirects sys.stdout to its logger) for the supervisor
    that watches this deployment: which process / thread is about to wait, and how."""
    info = {"pid": os.getpid(), "tid": threading.get_native_id(), "kind": kind,
            "role": role or os.environ.get("BRIGADE_ROLE", ""), "python": platform.python_version(), **extra}
    os.write(1, ("READY " + json.dumps(info) + "\n").encode())
