"""Ski school: the morning muster, where every instructor on the day's roster checks in before the
lesson groups are handed out."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from piste import readiness


@dataclass
class Instructor:
    badge: str
    level: str
    on_leave: bool = False


def _day_roster(opts: dict) -> list[Instructor]:
    n = int(opts.get("workers", 2)) + 1
    roster = [Instructor(f"I{100 + k}", ("L1", "L2", "L3")[k % 3]) for k in range(n)]
    roster[-1].on_leave = True  # called in sick this morning (the roster export still lists them)
    return roster


def instructor_checkin(instructor: Instructor, muster: threading.Barrier) -> None:
    time.sleep(0.02)  # badge reader
    readiness.parked("futex")
    muster.wait()


def start_lessons(muster: threading.Barrier, groups: list[str]) -> dict[str, str]:
    readiness.parked("futex")
    muster.wait()
    return {g: "assigned" for g in groups}


def open_lesson_day(opts: dict) -> dict[str, str]:
    roster = _day_roster(opts)
    muster = threading.Barrier(len(roster) + 1)  # every instructor on the roster, plus the desk
    present = [i for i in roster if not i.on_leave]
    readiness.expect(len(present) + 1)
    for instructor in present:
        threading.Thread(target=instructor_checkin, args=(instructor, muster), name=f"checkin-{instructor.badge}",
                         daemon=True).start()
    groups = [f"group-{k}" for k in range(2 + int(opts.get("queued", 0)))]
    return start_lessons(muster, groups)
