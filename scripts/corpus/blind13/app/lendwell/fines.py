"""Fines: branch totals are fetched from the branches' rate services in parallel; the nightly recalculation
walks the days a loan was overdue, skipping the days the branch was closed."""
from __future__ import annotations

import datetime
import socket
from concurrent.futures import ThreadPoolExecutor


def fetch_fine_rate(ctx, branch: str) -> float:
    with socket.create_connection(("127.0.0.1", int(ctx.get("port")))) as sock:
        sock.sendall(f"RATE {branch}\n".encode())
        ctx.checkpoint("recv")
        reply = sock.makefile("rb").readline()
    return float(reply or 0)


def collect_fine_totals(ctx) -> float:
    lanes = int(ctx.get("lanes", 2))
    branches = [f"BR{n:02d}" for n in range(lanes + int(ctx.get("queued", 0)))]
    ctx.expect(1 + lanes)
    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="fine-rates") as pool:
        futures = [pool.submit(fetch_fine_rate, ctx, b) for b in branches]
        ctx.checkpoint("futex")
        return sum(f.result() for f in futures)


def settle_fines(ctx) -> None:
    collect_fine_totals(ctx)


def recalculate_fines(ctx, due: datetime.date, closed: set) -> float:
    day, owed = due, 0.0
    today = datetime.date(2026, 12, 2)
    while day != today:
        day += datetime.timedelta(days=1)
        if day in closed:
            day -= datetime.timedelta(days=1)  # re-checks the closed day: the walk never gets past it
            continue
        owed += 0.25
    return owed


def nightly_fines(ctx) -> None:
    ctx.expect(1)
    ctx.checkpoint("running")
    recalculate_fines(ctx, datetime.date(2026, 11, 20), {datetime.date(2026, 11, 26)})
