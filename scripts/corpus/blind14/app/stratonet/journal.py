"""The station change journal both the calibration table and the registry write while they hold their locks."""
from __future__ import annotations

from collections.abc import Callable

_sinks: list[Callable[[str], None]] = []


def record(event: str) -> None:
    for sink in _sinks:
        sink(event)


def add_sink(sink: Callable[[str], None]) -> None:
    _sinks.append(sink)
