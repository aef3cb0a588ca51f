"""Sampling collectors, one thread per station, stopped at shutdown."""
from __future__ import annotations

import threading


class Collector(threading.Thread):
    def __init__(self, station: int, stop: threading.Event | None = None) -> None:
        super().__init__(name=f"collector-{station}", daemon=True)
        self.station = station
        self.stop = stop or threading.Event()
        self.samples = 0

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.samples += 1


def start_collectors(stations: list[int]) -> list[Collector]:
    collectors = [Collector(s) for s in stations]
    for c in collectors:
        c.start()
    return collectors


def shutdown_collectors(collectors: list[Collector], stop: threading.Event) -> None:
    stop.set()
    for c in collectors:
        c.join()
