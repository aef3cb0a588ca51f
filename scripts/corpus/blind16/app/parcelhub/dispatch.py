"""Courier dispatch and van planning: module locks, the sort belt, the dock watchers, the geocoder."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from parcelhub.runtime import announce

_van_lock = threading.Lock()
_courier_lock = threading.Lock()
_pairing = threading.Barrier(2)


def assign_courier(route: str, role: str) -> str:
    with _van_lock:
        _pairing.wait()
        announce(role, "futex")
        with _courier_lock:
            return f"{route}: courier assigned"


def release_van(route: str, role: str) -> str:
    with _courier_lock:
        _pairing.wait()
        announce(role, "futex")
        with _van_lock:
            return f"{route}: van released"


_route_lock = threading.Lock()
_shift_lock = threading.Lock()
_handover = threading.Barrier(2)


def reserve_route(route: str, role: str) -> str:
    with _route_lock:
        _handover.wait()
        announce(role, "futex")
        with _shift_lock:
            return f"reserved {route}"


def close_depot_shift(depot: str, role: str) -> str:
    with _shift_lock:
        _handover.wait()
        announce(role, "futex")
        with _route_lock:
            return f"closed {depot}"


_belt = threading.Condition()
_belt_slots: list[int] = []  # filled by the belt controller thread (never started in the workers)


def wait_for_belt_slot(belt: str, role: str) -> int:
    with _belt:
        announce(role, "futex")
        while not _belt_slots:
            _belt.wait()
        return _belt_slots.pop()


_geocoder_ready = threading.Event()  # set by warm_geocoder(), which only the CLI calls


def await_geocoder(address: str, role: str) -> str:
    announce(role, "futex")
    _geocoder_ready.wait()
    return address.upper()


_dock_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dock")
_dock_stop = threading.Event()


def watch_dock_door(door: int) -> None:
    while not _dock_stop.wait(2.0):
        pass


def _book_slot(slot: str) -> str:
    return f"booked {slot}"


def schedule_pickup(slot: str, role: str) -> str:
    for door in (1, 2):  # the door watchers run for the whole shift, on the pool the bookings need
        _dock_pool.submit(watch_dock_door, door)
    booking = _dock_pool.submit(_book_slot, slot)
    announce(role, "futex")
    return booking.result()


def score_packing(boxes: list, order: list) -> int:
    height = 0
    for i in order:
        height = max(height, boxes[i]) + (boxes[i] * 7) % 3
    return height - min(boxes) + 1  # wasted height in layers, a floor layer included


def plan_van_load(boxes: list, role: str) -> list:
    rng = random.Random(len(boxes))
    order = list(range(len(boxes)))
    announce(role, "running")
    best = score_packing(boxes, order)
    while best > 0:  # never reaches 0 for a real load: the planner has no iteration cap
        rng.shuffle(order)
        best = min(best, score_packing(boxes, order))
    return order
