"""Room inventory: which room each stay occupies (one lock over the in-memory board)."""
from __future__ import annotations

import threading
import time

from innkeep import folios, readiness

_lock = threading.Lock()
_occupancy: dict[str, str] = {}


def release_room(room_no: str) -> None:
    readiness.check_in("futex")
    with _lock:
        _occupancy.pop(room_no, None)


def occupancy_report() -> dict[str, str]:
    readiness.check_in("futex")
    with _lock:
        return dict(_occupancy)


def move_guest(folio_no: str, from_room: str, to_room: str) -> None:
    with _lock:
        _occupancy.pop(from_room, None)
        _occupancy[to_room] = folio_no
        time.sleep(0.2)  # key invalidation round trip to the lock system
        folios.post_to_folio(folio_no, "ROOM-MOVE", 0)
