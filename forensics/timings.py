"""Wall time per phase of one command (`collect --timings`): marks taken as it runs, printed at its end.

The clock starts when the entry point imports this module, before py-spy is started and before any other
import, so the first phase is what start-up costs a capture (the interpreter's own start is not counted).
"""
from __future__ import annotations

import itertools
import time

_MARKS: list[tuple[str, float]] = [("", time.perf_counter())]


def mark(phase: str) -> None:
    """``phase`` has just ended."""
    _MARKS.append((phase, time.perf_counter()))


def text() -> str:
    """One line: each phase's wall time in ms, and their total."""
    parts = [f"{name} {(t - prev) * 1000:.1f} ms" for (_, prev), (name, t) in itertools.pairwise(_MARKS)]
    return "timings: " + " · ".join([*parts, f"total {(_MARKS[-1][1] - _MARKS[0][1]) * 1000:.1f} ms"])
