"""Flowcell directories: one writer at a time, by an advisory lock on the run folder."""
from __future__ import annotations

import fcntl
import os


def lock_flowcell_dir(path: str) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def archive_run(opts: dict, gate) -> None:
    gate.expect(1)
    gate.arrive("flock")
    fd = lock_flowcell_dir(str(opts["lock_path"]))
    os.close(fd)
