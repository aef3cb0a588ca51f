"""Grooming fleet dispatch: the night shift's snowcat tracker and the route optimizer."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from piste import readiness


@dataclass
class Snowcat:
    unit: str
    position: tuple[float, float] = (0.0, 0.0)
    trail: str = ""


@dataclass
class CatTracker:
    fleet: list[Snowcat]
    poll: float
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._track, name="cat-tracker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _track(self) -> None:
        halt = self._halt
        while not halt.wait(self.poll):
            for cat in self.fleet:
                self.positions[cat.unit] = cat.position

    def reset(self) -> None:
        """Start the shift with a clean slate."""
        self._halt = threading.Event()
        self.positions.clear()

    def stop_tracking(self) -> None:
        self._halt.set()
        readiness.parked("futex")
        self._thread.join()


def _assign_trails(fleet: list[Snowcat], trails: list[str]) -> None:
    for cat, trail in zip(fleet, trails):
        cat.trail = trail


def run_grooming_shift(opts: dict) -> dict[str, str]:
    fleet = [Snowcat(f"PB-{k}") for k in range(int(opts.get("workers", 2)))]
    tracker = CatTracker(fleet, float(opts.get("poll_interval", 1.0)))
    tracker.start()
    readiness.expect(1)
    tracker.reset()  # the shift plan was loaded
    _assign_trails(fleet, ["upper-bowl", "home-run", "race-course", "bunny-hill"])
    tracker.stop_tracking()
    return {cat.unit: cat.trail for cat in fleet}


# --- the route optimizer -------------------------------------------------------------------------------------

def _distances(n: int, seed: int) -> list[list[float]]:
    pts = [((k * 37 + seed) % 101, (k * 53 + seed * 7) % 89) for k in range(n)]
    return [[((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 for bx, by in pts] for ax, ay in pts]


def route_length(route: list[int], dist: list[list[float]]) -> float:
    total = 0.0
    for a, b in zip(route, route[1:]):  # noqa: RUF007 (runs on 3.9)
        total += dist[a][b]
    return total


def two_opt_pass(route: list[int], dist: list[list[float]]) -> list[int]:
    improved = True
    while improved:
        improved = False
        for i in range(1, len(route) - 2):
            for j in range(i + 1, len(route)):
                candidate = route[:i] + route[i:j][::-1] + route[j:]
                if route_length(candidate, dist) <= route_length(route, dist):
                    route = candidate
                    improved = True
    return route


def optimize_grooming_routes(opts: dict) -> list[int]:
    dist = _distances(12 + int(opts.get("rows", 1)), int(opts.get("unit", 1)))
    readiness.expect(1)
    readiness.parked("running")
    return two_opt_pass(list(range(len(dist))), dist)
