"""Maintenance: work orders, crew dispatch for main-component lifts, and crane bookings synced to the CMMS."""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field

from gustline import notify

log = logging.getLogger("gustline.maintenance")


@dataclass
class Crew:
    name: str
    gwo_expires: dt.date  # GWO working-at-height certificate

    def certified(self, on: dt.date) -> bool:
        return self.gwo_expires > on


@dataclass
class WorkOrder:
    number: str
    turbine: str
    crews: list[Crew] = field(default_factory=list)
    crane_slot: str | None = None


def await_lift_window(barrier: threading.Barrier, who: str) -> int:
    """Everyone on the pad before the crane lifts: rigging, tag lines, the crane operator and the supervisor."""
    notify.arrive("futex")
    return barrier.wait()


def dispatch_crew(crew: Crew, order: WorkOrder, barrier: threading.Barrier) -> None:
    log.info("%s travelling to %s for %s", crew.name, order.turbine, order.number)
    await_lift_window(barrier, crew.name)


def supervise_blade_lift(opts: dict) -> str:
    """A blade exchange: dispatch the order's crews, lift when everyone is at the pad."""
    today = dt.date(2026, 12, 3)
    crews = [Crew(f"crew-{name}", today + dt.timedelta(days=90)) for name in ("rigging", "tagline", "crane-op")]
    crews += [Crew(f"crew-extra-{n}", today + dt.timedelta(days=30 + n)) for n in range(opts.get("waiters", 0))]
    crews.insert(opts.get("park", 1) % len(crews), Crew("crew-banksman", today - dt.timedelta(days=3)))
    order = WorkOrder(f"WO-{opts.get('park', 1):03d}-BLD", f"WTG{opts.get('turbines', 4):02d}", crews)
    barrier = threading.Barrier(len(order.crews) + 1)  # the crews and the lift supervisor
    on_duty = [c for c in order.crews if c.certified(today)]  # an expired certificate stays home
    notify.expect(len(on_duty) + 1)
    for crew in on_duty:
        threading.Thread(target=dispatch_crew, args=(crew, order, barrier), name=crew.name, daemon=True).start()
    await_lift_window(barrier, "supervisor")
    return f"{order.number}: lifted"


class CmmsUnavailable(OSError):
    pass


class CmmsClient:
    """The maintenance system's order API (a local agent socket that forwards to the CMMS)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def push(self, order: WorkOrder) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.path)
            s.sendall(f"PUT {order.number} {order.crane_slot}\n".encode())


class WorkOrderBook:
    def __init__(self, orders: list[WorkOrder]) -> None:
        self._lock = threading.RLock()  # re-entered by the booking helpers
        self.orders = {o.number: o for o in orders}
        self.dirty = set(self.orders)

    def _push_with_retry(self, client: CmmsClient, order: WorkOrder) -> None:
        delay = 15.0
        while True:
            try:
                client.push(order)
                return
            except OSError as exc:
                log.warning("CMMS push of %s failed (%s), retrying in %.0fs", order.number, exc, delay)
                notify.arrive("blocked")  # nanosleep, or select on 3.9-3.10
                time.sleep(delay)
                delay = min(delay * 2, 900.0)

    def sync_to_cmms(self, client: CmmsClient) -> None:
        with self._lock:
            for number in sorted(self.dirty):
                self._push_with_retry(client, self.orders[number])
            self.dirty.clear()

    def book_crane(self, number: str, slot: str) -> None:
        notify.arrive("futex")
        with self._lock:
            self.orders[number].crane_slot = slot
            self.dirty.add(number)


def schedule_crane_lifts(opts: dict) -> list[str]:
    """Give this week's lift orders their crane slots (the mobile crane is shared between parks)."""
    orders = [WorkOrder(f"WO-{n:04d}", f"WTG{n % 12 + 1:02d}") for n in range(opts.get("park", 1), opts.get("park", 1) + 4)]
    book = WorkOrderBook(orders)
    client = CmmsClient(os.path.join(os.environ.get("TMPDIR", "/tmp"), "cmms-agent.sock"))
    notify.expect(2 + opts.get("waiters", 0))
    threading.Thread(target=book.sync_to_cmms, args=(client,), name="cmms-sync", daemon=True).start()
    time.sleep(0.1)  # the sync runs first: it was already due
    for n, order in enumerate(orders[1:opts.get("waiters", 0) + 1]):
        threading.Thread(target=book.book_crane, args=(order.number, f"2026-W50-{n + 2}"), name=f"booking-{n}",
                         daemon=True).start()
    book.book_crane(orders[0].number, "2026-W50-1")
    return [o.crane_slot for o in orders]
