"""Shift log: every job appends its entry to the plant's shift log, serialised between processes by an
exclusive flock (the log is shared with the operator console)."""
import fcntl
import threading
import time

from .readiness import Rendezvous, report_ready


def append_shift_entry(path, line):
    with open(path, "a") as log:
        fcntl.flock(log.fileno(), fcntl.LOCK_EX)
        try:
            log.write(f"{time.strftime('%H:%M')} {line}\n")
        finally:
            fcntl.flock(log.fileno(), fcntl.LOCK_UN)


def _writer(path, line, arrivals):
    arrivals.arrive("flock")
    append_shift_entry(path, line)


def shift_log(opts):
    writers = 1 + opts.get("queued", 0)
    arrivals = Rendezvous(writers)
    threads = [threading.Thread(target=_writer, args=(opts["lock_path"], f"filter {n + 1} backwashed", arrivals),
                                name=f"shift-writer-{n + 1}") for n in range(writers)]
    for thread in threads:
        thread.start()
    report_ready(*arrivals.wait())
    for thread in threads:
        thread.join()
