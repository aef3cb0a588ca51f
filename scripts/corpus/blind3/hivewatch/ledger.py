"""Harvest ledger shared with the extraction-room process."""
import fcntl
import os

from .signals import me, ready


def append_harvest_ledger(path, line):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    ready(me("flock"))
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, line)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def record_harvest(opts):
    append_harvest_ledger(opts["lock_path"], b"harvest 12.5kg\n")
