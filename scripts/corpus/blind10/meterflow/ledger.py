"""Customer ledger: postings under the ledger lock; closing a period re-reads the tariff in force."""
import threading

from meterflow import tariffs

ledger_lock = threading.Lock()


def post_adjustment(account):
    with ledger_lock:
        return account


def close_billing_period(account, barrier):
    with ledger_lock:
        barrier.wait()
        tariffs.apply_tariff_change(account)
