"""Berth planning: berth windows, the planning solver and vessel call closing."""
from __future__ import annotations

import random
import threading

from quayside.runtime import READY

BERTH_PLAN_LOCK = threading.Lock()
WINDOWS = {"B1": 0, "B2": 0, "B3": 0, "B4": 0}


def shift_berth_window(berth: str, hours: int, both_in: threading.Barrier) -> None:
    from quayside import cranes
    with BERTH_PLAN_LOCK:
        both_in.wait()
        READY.mark("futex")
        with cranes.CRANE_TABLE_LOCK:  # re-check the cranes working the berth
            WINDOWS[berth] += hours


def plan_cost(plan: list) -> float:
    return sum(abs(eta - slot) * length for eta, slot, length in plan)


def swap_pass(plan: list) -> bool:
    improved = False
    for i in range(len(plan) - 1):
        a, b = plan[i], plan[i + 1]
        before = plan_cost(plan)
        plan[i], plan[i + 1] = (a[0], b[1], a[2]), (b[0], a[1], b[2])
        if plan_cost(plan) <= before:  # ties count as improvements: equal-cost swaps never stop
            improved = True
        else:
            plan[i], plan[i + 1] = a, b
    return improved


def plan_berth_windows(opts: dict):
    rng = random.Random(opts.get("unit", 1))
    plan = [(rng.randint(0, 48), rng.randint(0, 48), 300) for _ in range(8 + int(opts.get("rows", 1)))]
    plan[0] = plan[1] = (10, 10, 300)
    READY.mark("running")
    while swap_pass(plan):
        pass
    return plan


def wait_lashing_done(done: threading.Event) -> None:
    done.wait()


def close_vessel_call(opts: dict):
    """Close the vessel call once the lashing gang's tracker thread has finished."""
    lashing_done = threading.Event()
    departed = threading.Event()
    tracker = threading.Thread(target=wait_lashing_done, args=(lashing_done,), name="lashing-tracker")
    tracker.start()
    departed.set()  # bug: sets the departure event, the tracker waits for the lashing one
    READY.mark("futex")
    tracker.join()
