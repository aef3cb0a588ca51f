"""Site settings from the service unit's environment, and the READY line the deployment's supervisor reads."""
from __future__ import annotations

import json
import os
import platform
import threading

BROKER = os.environ.get("LISBENCH_BROKER", "redis://127.0.0.1:6379/0")
_OPTS = json.loads(os.environ.get("LISBENCH_OPTS") or "{}")
ROLE = os.environ.get("LISBENCH_ROLE", "main")  # what a web worker / RQ process is
TASK_ROLE = os.environ.get("LISBENCH_TASK_ROLE", "pool-child")  # where a celery task runs
MASTER_ROLE = os.environ.get("LISBENCH_MASTER_ROLE", "celery-master")

_role = ROLE


def use_role(role: str) -> None:
    global _role
    _role = role


def upstream_port() -> int:
    """The site's interface engine (analyzer middleware, EMR, EMPI, courier dispatch): one port on this host."""
    return int(_OPTS.get("port", 2575))


def spool_lock_path() -> str:
    return _OPTS.get("lock_path", "/var/spool/lisbench/zebra.lock")


def report(role: str, kind: str, tid: int | None = None) -> None:
    """One READY line on the process's real stdout (celery redirects sys.stdout to its logger)."""
    line = json.dumps({"pid": os.getpid(), "tid": tid or threading.get_native_id(), "kind": kind, "role": role,
                       "python": platform.python_version()})
    os.write(1, f"READY {line}\n".encode())


def announce(kind: str) -> None:
    """The calling thread is about to wait in `kind`."""
    report(_role, kind)
