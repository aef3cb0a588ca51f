"""Accessioned specimens: aliquoting into child tubes, storage racks and their archiving."""
from __future__ import annotations

import threading
import time

from . import config

_RACK_LOCK = threading.Lock()  # rack positions
_SPECIMEN_LOCK = threading.Lock()  # the accession table
_RACKS: dict[str, list[str]] = {}
_SPECIMENS: dict[str, dict] = {}


def _lis_round_trip(seconds: float, until) -> None:
    """Stands for the LIS database write done while the first lock is held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        time.sleep(0.01)


def split_into_aliquots(accession: str, rack: str, count: int = 3) -> list[str]:
    children = [f"{accession}-{n}" for n in range(1, count + 1)]
    with _RACK_LOCK:
        _RACKS.setdefault(rack, []).extend(children)
        _lis_round_trip(5.0, until=_SPECIMEN_LOCK.locked)
        config.announce("futex")
        with _SPECIMEN_LOCK:  # rack, then specimen
            _SPECIMENS.setdefault(accession, {})["aliquots"] = children
    return children


def archive_rack(rack: str) -> int:
    with _SPECIMEN_LOCK:
        _lis_round_trip(5.0, until=_RACK_LOCK.locked)
        config.announce("futex")
        with _RACK_LOCK:  # specimen, then rack: the other order
            tubes = _RACKS.pop(rack, [])
        for tube in tubes:
            _SPECIMENS.setdefault(tube.rsplit("-", 1)[0], {})["archived"] = rack
    return len(tubes)
