"""Trolley moves: the crane vendor's drive library is a C extension on the Python API (loaded as a PyDLL, so it
keeps the GIL while it waits for the drive); the sway estimators run beside it."""
import ctypes
import threading

from .probe import Roster, here, report_ready

_drive = ctypes.PyDLL(None)


def write_trolley_setpoint(crane, metres):
    return _drive.sleep(86400)


def estimate_sway(roster, start):
    roster.sign_on("futex")
    start.wait()
    angle = 0.0
    while True:
        for step in range(64):
            angle = (angle + step * 0.017) % 3.14


def trolley_move(settings):
    estimators = settings.get("stackers", 1)
    roster = Roster(estimators)
    start = threading.Barrier(estimators + 1)
    for n in range(estimators):
        threading.Thread(target=estimate_sway, args=(roster, start), name=f"sway-{n}", daemon=True).start()
    entries = roster.complete()
    start.wait()
    report_ready(*entries, here("sleep"))
    write_trolley_setpoint(f"STS{settings.get('unit', 1):02d}", 42.0)
