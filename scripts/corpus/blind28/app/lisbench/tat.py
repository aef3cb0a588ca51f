"""Turnaround-time (TAT) reports: receipt-to-verification minutes, counted in the lab's business hours."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from . import config

OPEN_HOUR, CLOSE_HOUR = 7, 19
HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}


def advance_to_business_hours(ts: datetime, holidays: set[date]) -> datetime:
    """The first business minute at or after ts."""
    while ts.hour < OPEN_HOUR or ts.hour >= CLOSE_HOUR or ts.weekday() >= 5 or ts.date() in holidays:
        if ts.date() in holidays:
            ts = ts.replace(hour=OPEN_HOUR, minute=0)  # meant: the next day's opening; the date never moves
        elif ts.hour >= CLOSE_HOUR or ts.weekday() >= 5:
            ts = (ts + timedelta(days=1)).replace(hour=OPEN_HOUR, minute=0)
        else:
            ts = ts.replace(hour=OPEN_HOUR, minute=0)
    return ts


def business_minutes(received: datetime, verified: datetime) -> int:
    start = advance_to_business_hours(received, HOLIDAYS)
    return max(0, int((verified - start).total_seconds() // 60))


def turnaround_report(site: str, receipts: list[tuple[str, str]]) -> dict:
    config.announce("running")
    minutes = [business_minutes(datetime.fromisoformat(r), datetime.fromisoformat(v)) for r, v in receipts]
    return {"site": site, "n": len(minutes), "median": sorted(minutes)[len(minutes) // 2] if minutes else None}
