"""Quality control: Westgard rules on control runs, control lots."""
from __future__ import annotations

import threading
import time

from . import config

WESTGARD_RULES = ("1-2s", "1-3s", "2-2s", "R-4s", "4-1s", "10x")

_RULES_LOCK = threading.Lock()  # the rule table is reloaded while runs are evaluated
_LOTS_LOCK = threading.Lock()  # the open control lots
_OPEN_LOTS: dict[str, list[float]] = {}
_VERDICTS: dict[str, str] = {}


def _write_back(seconds: float, until=None) -> None:
    """Stands for the LIS database round trip done while a lock is held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until()):
        time.sleep(0.01)


def evaluate_control_run(run_id: str, lot: str, values: list[float]) -> str:
    with _RULES_LOCK:
        mean = sum(values) / len(values)
        _write_back(5.0, until=_LOTS_LOCK.locked)
        config.announce("futex")
        with _LOTS_LOCK:  # rules lock, then lots lock
            _OPEN_LOTS.setdefault(lot, []).append(mean)
        _VERDICTS[run_id] = "accept" if abs(mean) < 2 else "reject"
        return _VERDICTS[run_id]


def close_control_lot(lot: str) -> int:
    with _LOTS_LOCK:
        runs = _OPEN_LOTS.pop(lot, [])
        _write_back(5.0, until=_RULES_LOCK.locked)
        config.announce("futex")
        with _RULES_LOCK:  # lots lock, then rules lock: the other order
            for run_id in [r for r in _VERDICTS if r.startswith(lot)]:
                del _VERDICTS[run_id]
        return len(runs)


def collect_westgard_verdicts(pending) -> dict[str, str]:
    """The rule checks run as subtasks; their results are waited for inside this task."""
    config.announce("blocked")
    verdicts = pending.get(disable_sync_subtasks=False)
    return dict(zip(WESTGARD_RULES, verdicts))


def check_rule(rule: str, levels: list[float]) -> str:
    limit = {"1-2s": 2, "1-3s": 3, "2-2s": 2}.get(rule, 4)
    return "violated" if any(abs(x) > limit for x in levels) else "ok"
