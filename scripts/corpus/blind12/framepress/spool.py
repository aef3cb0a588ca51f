"""The shared spool directory on the NFS export: a worker takes the spool lock (flock) before it moves
finished renditions in; the nightly janitor on another host holds it while it sweeps."""
from __future__ import annotations

import fcntl
import os


def lock_spool_dir(lock_path: str) -> int:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd
