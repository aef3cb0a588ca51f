"""Per-station sensor offsets; recalibration marks the station in the registry while it holds the table."""
from __future__ import annotations

import threading

from stratonet import journal, registry

_OFFSETS_LOCK = threading.Lock()
_offsets: dict[int, dict[str, float]] = {}


def apply_offsets(station: int, offsets: dict[str, float]) -> None:
    with _OFFSETS_LOCK:
        _offsets[station] = dict(offsets)
        journal.record(f"offsets {station}")
        registry.mark_station(station, "calibrated")


def drop_offsets(station: int) -> None:
    with _OFFSETS_LOCK:
        _offsets.pop(station, None)
