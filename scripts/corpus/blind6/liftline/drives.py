"""Bullwheel drives: the drive lock serialises speed changes; engaging the drive releases the service brake."""
import threading

from . import brakes

drive_lock = threading.Lock()
_speeds = {}


def log_drive_state(lift):
    with drive_lock:
        _speeds.setdefault(lift, 0.0)


def engage_drive(lift, speed, on_held=None):
    with drive_lock:
        _speeds[lift] = speed
        if on_held is not None:
            on_held()
        brakes.release_brake(lift)
