"""Holds: a pickup slot at the patron's branch is allocated by the shelf allocator thread."""
from __future__ import annotations

import datetime as dt
import queue
import threading

from shelfnet import config

_REQUESTS: queue.Queue = queue.Queue()
_ALLOCATOR: threading.Thread | None = None
_START = threading.Lock()


def _allocate_forever() -> None:
    while True:
        patron, branch, reply = _REQUESTS.get()
        opens = dt.datetime.strptime(branch["opens"], "%H:%M")  # "9:00 am" from the new branch feed: ValueError
        reply.put({"patron": patron, "slot": opens.replace(hour=opens.hour + 1).strftime("%H:%M")})


def _allocator() -> None:
    global _ALLOCATOR
    with _START:
        if _ALLOCATOR is None:
            _ALLOCATOR = threading.Thread(target=_allocate_forever, name="shelf-allocator", daemon=True)
            _ALLOCATOR.start()


def await_pickup_slot(patron: str, branch: dict) -> dict:
    _allocator()
    reply: queue.Queue = queue.Queue()
    _REQUESTS.put((patron, branch, reply))
    config.announce("futex")
    return reply.get()  # the allocator thread died on the bad opening hours: no reply ever comes


def pickup_notice(patron: str) -> dict:
    branch = {"name": "Eastside", "opens": "9:00 am"}
    return await_pickup_slot(patron, branch)
