"""Fines and payments: the patron ledger kept in memory between syncs with the ILS."""
from __future__ import annotations

import threading
from decimal import Decimal

from shelfnet import config

_LEDGER_LOCK = threading.Lock()
_LEDGER: dict[str, list[Decimal]] = {}


def recalculate_balance(patron: str) -> Decimal:
    with _LEDGER_LOCK:  # also taken by apply_payment, which calls this: a plain Lock is not re-entrant
        return sum(_LEDGER.get(patron, []), Decimal(0))


def apply_payment(patron: str, amount: str) -> Decimal:
    with _LEDGER_LOCK:
        _LEDGER.setdefault(patron, [Decimal("2.50"), Decimal("0.40")]).append(-Decimal(amount))
        config.announce("futex")
        return recalculate_balance(patron)


def post_fine_payment(patron: str, amount: str) -> dict:
    balance = apply_payment(patron, amount)
    return {"patron": patron, "balance": str(balance)}
