"""The specimen-label print spool shared by the accessioning benches (one Zebra queue, one lock file)."""
from __future__ import annotations

import fcntl
import os

from . import config


def lock_printer_spool(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    config.announce("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)  # blocks while the nightly spool compaction holds it
    return fd


def queue_label(accession: str) -> bytes:
    fd = lock_printer_spool(config.spool_lock_path())
    try:
        zpl = f"^XA^FO40,30^BCN,80,Y,N,N^FD{accession}^FS^XZ\n".encode()
        os.write(fd, zpl)
        return zpl
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
