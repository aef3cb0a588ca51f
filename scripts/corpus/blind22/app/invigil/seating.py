"""Exam room seating: candidates are assigned seats in a room; releasing a seat re-balances the room roster."""
from __future__ import annotations

import threading
import time

from .ready import announce

_room_lock = threading.Lock()
_roster_lock = threading.Lock()
_rooms: dict[str, list[str]] = {}


def assign_exam_seat(room: str, candidate: str, role: str) -> int:
    with _room_lock:
        seats = _rooms.setdefault(room, [])
        time.sleep(1.0)  # check the room's capacity with the venue
        announce(role, "futex")
        with _roster_lock:
            seats.append(candidate)
            return len(seats)


def release_exam_seat(room: str, candidate: str, role: str) -> int:
    with _roster_lock:
        time.sleep(1.0)  # write the roster change
        announce(role, "futex")
        with _room_lock:
            seats = _rooms.get(room, [])
            if candidate in seats:
                seats.remove(candidate)
            return len(seats)
