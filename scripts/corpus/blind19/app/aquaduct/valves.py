"""Valve work orders: closing a valve for a main repair books a crew."""
from __future__ import annotations

import threading
import time

from aquaduct import crews

_VALVE_LOCK = threading.Lock()
VALVES: dict[str, str] = {}


def _persist(record: dict) -> None:
    time.sleep(0.2)  # the work-order database round trip


def set_valve_state(valve: str, state: str) -> None:
    with _VALVE_LOCK:
        VALVES[valve] = state


def close_valve(valve: str, order: int) -> None:
    """Close a valve for a work order and book the crew that will operate it."""
    with _VALVE_LOCK:
        VALVES[valve] = "closing"
        _persist({"valve": valve, "order": order})
        crews.assign_crew(order, valve)
