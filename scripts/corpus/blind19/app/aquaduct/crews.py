"""Crew dispatch: the roster of field crews and their assignments."""
from __future__ import annotations

import threading
import time

_ROSTER_LOCK = threading.Lock()
ROSTER: dict[int, str] = {}


def assign_crew(order: int, valve: str) -> str:
    with _ROSTER_LOCK:
        ROSTER[order] = f"crew-{order % 7}"
        return ROSTER[order]


def reassign_crew(order: int, valve: str) -> None:
    """Move a work order to the next free crew and reopen the valve it had closed."""
    from aquaduct import valves

    with _ROSTER_LOCK:
        ROSTER.pop(order, None)
        time.sleep(0.2)  # the dispatch system's round trip
        valves.set_valve_state(valve, "open")


def run_dispatch_round(cfg: dict) -> None:
    """A dispatch round: new main-repair orders close their valves while cancelled ones are reassigned."""
    from aquaduct import valves

    unit = int(cfg.get("unit", 1))
    workers = [threading.Thread(target=valves.close_valve, args=(f"V-{unit}", unit), name="workorder-close"),
               threading.Thread(target=reassign_crew, args=(unit + 1, f"V-{unit + 1}"), name="crew-reassign")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
