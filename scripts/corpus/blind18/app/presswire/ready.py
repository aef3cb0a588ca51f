"""How a presswire process tells its supervisor (the deploy smoke test) where it is: one READY line on fd 1."""
from __future__ import annotations

import json
import os
import platform
import threading

ROLE_ENV = "PRESSWIRE_ROLE"


def options() -> dict:
    """The deployment's endpoints (wire feed, edge, mail relay...) as the unit file gives them."""
    return json.loads(os.environ.get("PRESSWIRE_OPTS") or "{}")


def announce(kind: str, role: str | None = None) -> None:
    """Report this thread: `kind` is the wait it is about to enter (recv, futex, flock, wait4, running...)."""
    line = {"pid": os.getpid(), "tid": threading.get_native_id(), "kind": kind,
            "role": role or os.environ.get(ROLE_ENV, "main"), "python": platform.python_version()}
    os.write(1, ("READY " + json.dumps(line) + "\n").encode())
