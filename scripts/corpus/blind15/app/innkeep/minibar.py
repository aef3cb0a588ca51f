"""Minibar: charges posted to the folio ledger, and the restock plan against par levels."""
from __future__ import annotations

import logging
import threading

from innkeep import readiness

log = logging.getLogger("innkeep.minibar")

PRICES = {"WTR-500": 450, "CLA-330": 550, "NUT-MIX": 900, "CHO-DRK": 700, "BEER-IPA": 850}
CASE_FILL = 0.5  # order half the shortfall per delivery wave

_ledger_lock = threading.Lock()
_ledger: list[tuple[str, str, int]] = []


def post_minibar_charge(folio_no: str, sku: str, qty: int):
    readiness.check_in("futex")
    _ledger_lock.acquire()
    price = PRICES.get(sku)
    if price is None:
        log.warning("unknown minibar sku %s on %s", sku, folio_no)
        return None
    try:
        _ledger.append((folio_no, sku, price * qty))
        return price * qty
    finally:
        _ledger_lock.release()


def _post_room(folio_no: str, items: list[tuple[str, int]]) -> None:
    for sku, qty in items:
        post_minibar_charge(folio_no, sku, qty)


def post_charges(options: dict) -> None:
    others = options.get("waiters", 0)
    readiness.expect(1 + others)
    prop = options.get("property", 17)
    # the attendant's handheld still lists a discontinued sku (SNK-PRETZ)
    _post_room(f"F{prop}220", [("WTR-500", 2), ("SNK-PRETZ", 1)])
    for n in range(others):
        threading.Thread(target=_post_room, args=(f"F{prop}{300 + n}", [("CLA-330", 1)]), name=f"handheld-{n}").start()
    _post_room(f"F{prop}221", [("NUT-MIX", 1), ("CHO-DRK", 2)])


def reconcile_par_levels(stock: dict[str, int], par: dict[str, int]) -> dict[str, int]:
    readiness.check_in("running")
    orders = {}
    for sku, target in par.items():
        shortfall = target - stock.get(sku, 0)
        waves = 0
        while shortfall > 0:
            order = int(shortfall * CASE_FILL)
            shortfall -= order
            waves += 1
        orders[sku] = waves
    return orders


def plan_restock(options: dict) -> None:
    readiness.expect(1)
    floors = 1 + options.get("queued", 0)
    stock = {sku: 3 * floors for sku in PRICES}
    par = {sku: 4 * floors + (1 if sku == "NUT-MIX" else 0) for sku in PRICES}
    log.info("restock waves %s", reconcile_par_levels(stock, par))
