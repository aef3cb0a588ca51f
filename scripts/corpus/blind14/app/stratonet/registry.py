"""The station registry; retiring a station drops its calibration while the registry is held."""
from __future__ import annotations

import threading

from stratonet import calibration, journal

_REGISTRY_LOCK = threading.RLock()
_stations: dict[int, str] = {}


def mark_station(station: int, state: str) -> None:
    with _REGISTRY_LOCK:
        _stations[station] = state


def retire_station(station: int) -> None:
    with _REGISTRY_LOCK:
        _stations.pop(station, None)
        journal.record(f"retire {station}")
        calibration.drop_offsets(station)
