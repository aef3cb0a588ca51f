"""Equipment rental: demo ski inventory at the rental desk, and the return kiosks' event consumers."""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

from piste import fitting, readiness

_inventory_lock = threading.Lock()
_demo_stock: dict[str, list[str]] = {"all-mountain": ["AM-158", "AM-166", "AM-172"], "powder": ["PW-178", "PW-184"]}
_on_loan: dict[str, str] = {}


@dataclass
class Booking:
    guest: str
    category: str
    boot_mondo: float
    pair: str = ""
    notes: list[str] = field(default_factory=list)


def _write_stock_ledger() -> None:
    time.sleep(0.3)  # the stock ledger lives in the back-office database


def reserve_demo_skis(booking: Booking) -> str:
    with _inventory_lock:
        stock = _demo_stock.setdefault(booking.category, [])
        pair = stock.pop(0) if stock else f"{booking.category[:2].upper()}-LOANER"
        _on_loan[pair] = booking.guest
        _write_stock_ledger()
        fitting.book_fitting_slot(booking, pair)
        booking.pair = pair
        return pair


def release_demo_pair(pair: str) -> None:
    with _inventory_lock:
        _on_loan.pop(pair, None)
        _demo_stock.setdefault(pair.split("-")[0], []).append(pair)


def run_rental_desk(opts: dict) -> str:
    waiters = int(opts.get("waiters", 0))
    readiness.expect(2 + waiters)
    fitting.start_bench(fitting.FittingSession("guest-prev", "AM-150", 26.5))
    time.sleep(0.05)
    booking = Booking(f"guest-{opts.get('unit', 1)}", "all-mountain", 27.0)
    for n in range(waiters):  # the other desk clerks' bookings
        threading.Thread(target=_clerk_booking, args=(Booking(f"walkin-{n}", "powder", 28.5),),
                         name=f"desk-{n + 2}", daemon=True).start()
    return reserve_demo_skis(booking)


def _clerk_booking(booking: Booking) -> None:
    time.sleep(0.1)
    readiness.parked("futex")
    reserve_demo_skis(booking)


# --- the return kiosks -------------------------------------------------------------------------------------

def _check_in_return(event: dict) -> None:
    _on_loan.pop(event.get("pair", ""), None)


def _return_consumer(events: queue.Queue[dict]) -> None:
    readiness.parked("futex")
    while True:
        event = events.get()
        _check_in_return(event)
        events.task_done()


def run_return_consumers(opts: dict) -> None:
    events: queue.Queue[dict] = queue.Queue()
    n = int(opts.get("workers", 2))
    readiness.expect(n)
    consumers = [threading.Thread(target=_return_consumer, args=(events,), name=f"returns-{k}")
                 for k in range(n)]
    for t in consumers:
        t.start()
    for t in consumers:
        t.join()
