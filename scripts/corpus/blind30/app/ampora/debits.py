"""Direct-debit runs: collections posted to the customer ledger against the mandate register."""
from __future__ import annotations

import threading
import time

from . import settings

LEDGER_LOCK = threading.Lock()
MANDATE_LOCK = threading.Lock()
_ledger: dict[str, float] = {}
_mandates: dict[str, str] = {}


def post_debit_to_ledger(account: str, amount: float) -> None:
    with LEDGER_LOCK:
        _ledger[account] = _ledger.get(account, 0.0) - amount
        time.sleep(0.4)  # the bank file line is formatted under the ledger lock
        settings.announce("futex")
        with MANDATE_LOCK:
            _mandates.setdefault(account, "active")


def cancel_mandate_record(account: str) -> None:
    with MANDATE_LOCK:
        _mandates[account] = "cancelled"
        time.sleep(0.4)
        settings.announce("futex")
        with LEDGER_LOCK:
            _ledger.pop(account, None)
