#!/usr/bin/env python3
"""Lock-order deadlock by argument order: both threads run the same transfer(src, dst).

``transfer-1`` runs transfer(alice, bob), ``transfer-2`` runs transfer(bob, alice): each holds
``src.lock`` and waits for ``dst.lock``, the other account's lock.
"""
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.
first_taken = threading.Barrier(3)


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


def transfer(src, dst, amount):
    with src.lock:
        first_taken.wait()
        with dst.lock:  # blocks: the other thread holds it
            src.balance -= amount
            dst.balance += amount


def settle_batch(pairs):
    for src, dst, amount in pairs:
        transfer(src, dst, amount)


def main():
    app.boot("bank_transfer", __doc__.splitlines()[0])
    alice, bob = Account("alice", 100), Account("bob", 100)
    a = app.start("transfer-1", "lock", settle_batch, [(alice, bob, 10)])
    b = app.start("transfer-2", "lock", settle_batch, [(bob, alice, 5)])
    first_taken.wait()
    app.ready(deadlock=[{"thread": a.name, "holds": ["alice.lock"], "waits_for": "bob.lock"},
                        {"thread": b.name, "holds": ["bob.lock"], "waits_for": "alice.lock"}])
    app.wait_for_workers([a, b])


if __name__ == "__main__":
    main()
