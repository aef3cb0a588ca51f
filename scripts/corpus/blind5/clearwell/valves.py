"""Inlet valve bank: every actuator move holds the valve-bank lock; opening an inlet records the duty pump's
interlock so the pump cannot start against a closed valve."""
import threading

from . import pumps

valve_bank_lock = threading.Lock()
_positions = {}


def close_inlet_valve(valve):
    with valve_bank_lock:
        _positions[valve] = 0.0


def open_inlet_valve(valve, percent, on_held=None):
    with valve_bank_lock:
        _positions[valve] = percent
        if on_held is not None:
            on_held()
        pumps.log_pump_interlock(valve)
