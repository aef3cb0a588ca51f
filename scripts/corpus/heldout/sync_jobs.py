#!/usr/bin/env python3
"""Two different lock-order deadlocks in one module, both through the same helpers.

Every sync job runs run_step() -> _guarded() -> _take_pair(first, second, fn). ``--scenario
users``: ``sync-users`` takes (users_lock, groups_lock), ``sync-groups`` the reverse.
``--scenario orders``: ``sync-orders`` takes (orders_lock, invoices_lock), ``sync-invoices``
the reverse. Two bugs, one module, identical helper frames above the wait.
"""
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.
users_lock = threading.Lock()
groups_lock = threading.Lock()
orders_lock = threading.Lock()
invoices_lock = threading.Lock()
halfway = threading.Barrier(3)


def _take_pair(first, second, fn):
    with first:
        halfway.wait()
        with second:  # blocks: the other job holds it
            fn()


def _guarded(first, second, fn):
    return _take_pair(first, second, fn)


def run_step(first, second, fn):
    return _guarded(first, second, fn)


def sync_users():
    run_step(users_lock, groups_lock, lambda: None)


def sync_groups():
    run_step(groups_lock, users_lock, lambda: None)


def sync_orders():
    run_step(orders_lock, invoices_lock, lambda: None)


def sync_invoices():
    run_step(invoices_lock, orders_lock, lambda: None)


JOBS = {"users": (sync_users, sync_groups), "orders": (sync_orders, sync_invoices)}


def main():
    args = app.boot("sync_jobs", __doc__.splitlines()[0],
                    lambda p: p.add_argument("--scenario", choices=sorted(JOBS), default="users"))
    one, two = JOBS[args.scenario]
    a = app.start(one.__name__.replace("_", "-"), "lock", one)
    b = app.start(two.__name__.replace("_", "-"), "lock", two)
    halfway.wait()
    app.ready(scenario=args.scenario)
    app.wait_for_workers([a, b])


if __name__ == "__main__":
    main()
