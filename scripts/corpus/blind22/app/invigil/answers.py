"""Answer autosave exports: the nightly export and an on-demand export share one lock file on the NFS share."""
from __future__ import annotations

import fcntl
import os

from . import settings
from .ready import announce


def export_answer_sheets(exam_id: str, role: str) -> int:
    fd = os.open(settings.EXPORT_LOCK, os.O_RDWR | os.O_CREAT)
    try:
        announce(role, "flock")
        fcntl.flock(fd, fcntl.LOCK_EX)  # the nightly export holds it (for hours)
        return os.write(fd, exam_id.encode())
    finally:
        os.close(fd)
