"""BAPLIE (bay plan) segments are appended to the vessel's EDI file under an exclusive flock shared with the
EDI transmitter."""
import fcntl
import os

from .probe import here, report_ready


def append_baplie_segment(path, segment):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, segment.encode() + b"'\n")
    finally:
        os.close(fd)


def baplie_append(settings):
    report_ready(here("flock"))
    append_baplie_segment(settings["lock_path"], f"LOC+147+{settings.get('unit', 1):07d}::5")
