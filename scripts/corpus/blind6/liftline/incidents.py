"""Incident reports: every report is appended to the resort's incident register, which the patrol console
also writes, so each append holds an exclusive flock."""
import fcntl
import threading
import time

from .signals import Muster, announce


def append_incident(path, entry):
    with open(path, "a") as register:
        fcntl.flock(register, fcntl.LOCK_EX)
        try:
            register.write(f"{time.strftime('%Y-%m-%dT%H:%M')} {entry}\n")
        finally:
            fcntl.flock(register, fcntl.LOCK_UN)


def _file_report(path, entry, muster):
    muster.check_in("flock")
    append_incident(path, entry)


def incident_report(settings):
    reporters = 1 + settings.get("queued", 0)
    muster = Muster(reporters)
    threads = [threading.Thread(target=_file_report, args=(settings["lock_path"], f"run {n + 1}: knee, sled", muster),
                                name=f"incident-{n + 1}") for n in range(reporters)]
    for thread in threads:
        thread.start()
    announce(*muster.roll_call())
    for thread in threads:
        thread.join()
