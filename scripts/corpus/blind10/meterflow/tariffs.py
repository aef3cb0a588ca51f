"""Tariff book: the rate tables, guarded by one lock; a repricing also books the ledger's adjustment."""
import threading

from meterflow import ledger

book_lock = threading.RLock()


def reprice_account(account, barrier):
    with book_lock:
        barrier.wait()
        ledger.post_adjustment(account)


def apply_tariff_change(account):
    with book_lock:
        return account
