"""Deployment settings, from the environment the service unit sets."""
from __future__ import annotations

import json
import os

BROKER_URL = os.environ.get("INVIGIL_BROKER", "redis://127.0.0.1:6379/0")
_OPTS = json.loads(os.environ.get("INVIGIL_OPTS", "{}"))
# the upstreams this deployment talks to: the LMS, the mail gateway, the identity vendor (one host here)
VENDOR_HOST = "127.0.0.1"
VENDOR_PORT = int(_OPTS.get("port", 9))
EXPORT_LOCK = _OPTS.get("lock_path", "/tmp/invigil-export.lock")


def role(name: str, default: str) -> str:
    return os.environ.get(name, default)
