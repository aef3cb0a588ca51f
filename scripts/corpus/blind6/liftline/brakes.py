"""Service and emergency brakes: every brake actuation holds the brake lock; applying the service brake logs the
drive's state so a restart knows the last commanded speed."""
import threading

from . import drives

brake_lock = threading.Lock()
_applied = {}


def release_brake(lift):
    with brake_lock:
        _applied[lift] = False


def apply_service_brake(lift, on_held=None):
    with brake_lock:
        _applied[lift] = True
        if on_held is not None:
            on_held()
        drives.log_drive_state(lift)
