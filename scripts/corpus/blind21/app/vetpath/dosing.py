"""Dosing: the taper schedules printed on prednisolone/steroid discharge instructions."""
from __future__ import annotations


def plan_taper_schedule(start_mg: float, step_mg: float) -> int:
    """Days until the dose reaches zero when it drops by step_mg a day."""
    days = 0
    dose = start_mg
    while dose != 0:
        dose -= step_mg
        days += 1
    return days


def print_taper_instructions(cfg):
    from . import runtime

    runtime.announce("running")
    start = 2.5 + 0.5 * (cfg.get("unit", 1) % 3)
    return plan_taper_schedule(start, 0.1)
