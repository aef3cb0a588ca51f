"""Catastrophe-event triage: routing a storm's claims to regional desks while the policy book is frozen."""
from __future__ import annotations

import threading
import time

from adjustra.ops import report

_region_desk_lock = threading.Lock()
_policy_book_lock = threading.Lock()
_arrivals = {"n": 0}


def _let_peer_in() -> None:
    _arrivals["n"] += 1
    deadline = time.monotonic() + 5
    while _arrivals["n"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)


def route_claims_to_region(event_id: str, region: str) -> int:
    with _region_desk_lock:
        _let_peer_in()
        report("futex")
        with _policy_book_lock:  # desk lock, then book lock
            return len(event_id + region)


def lock_policy_book(event_id: str) -> int:
    with _policy_book_lock:
        _let_peer_in()
        report("futex")
        with _region_desk_lock:  # book lock, then desk lock: the opposite order
            return len(event_id)
