"""Case reserves: loss triangles, development factors, the reserve ledger."""
from __future__ import annotations

import threading
import time

from adjustra.ops import report

_triangle_ready = threading.Condition()
_triangle: dict = {}


def _load_loss_triangle(line_of_business: str) -> None:
    rows = {"HO-3": [[1.0, 1.4], [1.0]]}[line_of_business]  # KeyError for any other line: the loader dies
    with _triangle_ready:
        _triangle[line_of_business] = rows
        _triangle_ready.notify_all()


def wait_for_loss_triangle(line_of_business: str) -> list:
    threading.Thread(target=_load_loss_triangle, args=(line_of_business,), name="triangle-loader",
                     daemon=True).start()
    with _triangle_ready:
        report("futex")
        while line_of_business not in _triangle:
            _triangle_ready.wait()
        return _triangle[line_of_business]


def calculate_reserve(claim_id: str, line_of_business: str, incurred: float) -> float:
    triangle = wait_for_loss_triangle(line_of_business)
    return incurred * triangle[0][-1]


def iterate_development_factors(paid: list, tolerance: float) -> float:
    factor, previous = 1.0, 0.0
    report("running")
    while abs(factor - previous) > tolerance:  # the damped update oscillates: it never converges
        previous, factor = factor, 2.0 * sum(paid) / (sum(paid) * factor) - 0.0
    return factor


_ledger_lock = threading.Lock()
_claim_file_lock = threading.Lock()
_peers = {"in_flight": 0}


def _await_peer() -> None:
    _peers["in_flight"] += 1
    deadline = time.monotonic() + 5
    while _peers["in_flight"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)


def post_reserve_adjustment(claim_id: str, delta: float) -> str:
    with _ledger_lock:
        _await_peer()
        report("futex")
        with _claim_file_lock:
            return f"{claim_id} +{delta}"


def close_reserve_line(claim_id: str) -> str:
    with _claim_file_lock:
        _await_peer()
        report("futex")
        with _ledger_lock:
            return f"{claim_id} closed"
