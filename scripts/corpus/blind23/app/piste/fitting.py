"""Boot fitting benches: fitting slots for new demo bookings, and the bench that finishes a fitting and
hands the previous pair back to the rental inventory."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from piste import readiness, rental

_bench_lock = threading.Lock()
_slots: dict[str, str] = {}


@dataclass
class FittingSession:
    guest: str
    pair: str
    mondo: float


def _read_boot_scan(session: FittingSession) -> float:
    time.sleep(0.3)  # the foot scanner's export
    return session.mondo


def book_fitting_slot(booking, pair: str) -> str:
    readiness.parked("futex")
    with _bench_lock:
        slot = f"bench-{len(_slots) % 3 + 1}"
        _slots[pair] = slot
        return slot


def finish_fitting(session: FittingSession) -> None:
    with _bench_lock:
        _read_boot_scan(session)
        _slots.pop(session.pair, None)
        readiness.parked("futex")
        rental.release_demo_pair(session.pair)


def start_bench(session: FittingSession) -> threading.Thread:
    t = threading.Thread(target=finish_fitting, args=(session,), name="fitting-bench", daemon=True)
    t.start()
    return t
