"""Branch closing days: loaded once from the consortium calendar, awaited by the due-date calculation."""
from __future__ import annotations

import threading


class ClosingCalendar:
    def __init__(self, style: str) -> None:
        self.style = style
        self.days: set = set()
        self.loaded = threading.Event()
        self.changed = threading.Condition()

    def load(self, feed: str) -> None:
        rows = feed.split(";")
        self.days = {r.split("=")[1] for r in rows}  # a malformed row ends the loader before it signals
        if self.style == "event":
            self.loaded.set()
        else:
            with self.changed:
                self.changed.notify_all()

    def await_closing_calendar(self, ctx) -> set:
        ctx.checkpoint("futex")
        if self.style == "event":
            self.loaded.wait()
        else:
            with self.changed:
                self.changed.wait_for(lambda: bool(self.days))
        return self.days


def due_date_for(ctx, calendar: ClosingCalendar) -> str:
    days = calendar.await_closing_calendar(ctx)
    return min(days) if days else "2026-12-23"


def compute_due_dates(ctx) -> None:
    others = int(ctx.get("waiters", 0))
    ctx.expect(1 + others)
    calendar = ClosingCalendar(ctx.get("wait_style", "event"))
    threading.Thread(target=calendar.load, args=("2026-12-25=closed;2026-12-26",), name="calendar-load").start()
    for n in range(others):
        threading.Thread(target=due_date_for, args=(ctx, calendar), name=f"due-dates-{n}", daemon=True).start()
    due_date_for(ctx, calendar)
