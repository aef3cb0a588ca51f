"""Leak detection: correlating acoustic loggers pairwise along a main."""
from __future__ import annotations

import queue
import threading

SENSORS = {f"AL-{n}": 120.0 * n for n in range(1, 9)}  # logger -> chainage along the main (m)


def correlate(pair: tuple) -> float:
    a, b = pair
    return abs(SENSORS[a] - SENSORS[b]) / 2  # KeyError for a logger installed after the survey


def _correlator(pairs: list, results: queue.Queue) -> None:
    for pair in pairs:
        results.put((pair, correlate(pair)))


def collect_correlations(results: queue.Queue, expected: int) -> list:
    return [results.get() for _ in range(expected)]


def scan_for_leaks(cfg: dict) -> list:
    """Correlate every adjacent logger pair of a main in a worker thread; collect the leak positions."""
    loggers = [f"AL-{n}" for n in range(1, 8)] + [f"AL-{40 + int(cfg.get('unit', 1)) % 9}"]
    pairs = list(zip(loggers, loggers[1:]))  # noqa: RUF007 (itertools.pairwise: 3.10+, the fleet runs 3.9)
    results: queue.Queue = queue.Queue()
    threading.Thread(target=_correlator, args=(pairs, results), name="correlator", daemon=True).start()
    return collect_correlations(results, len(pairs))
