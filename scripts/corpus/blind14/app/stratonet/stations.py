"""The station index, rebuilt from the site list and read on every refresh."""
from __future__ import annotations

import json
import threading

_INDEX_LOCK = threading.Lock()
_index: dict[str, int] = {}


def rebuild_index(path: str) -> None:
    _INDEX_LOCK.acquire()
    with open(path) as f:
        sites = json.load(f)
    _index.clear()
    _index.update({s["code"]: s["id"] for s in sites})
    _INDEX_LOCK.release()


def refresh_station_index() -> int:
    with _INDEX_LOCK:
        return len(_index)
