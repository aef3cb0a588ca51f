"""Duty pumps: the pump lock serialises starts and trips; a trip closes the inlet valve the pump draws from."""
import threading

from . import valves

pump_lock = threading.Lock()
_running = {}


def log_pump_interlock(valve):
    with pump_lock:
        _running.setdefault(valve, False)


def trip_pump(pump, valve, on_held=None):
    with pump_lock:
        _running[pump] = False
        if on_held is not None:
            on_held()
        valves.close_inlet_valve(valve)
