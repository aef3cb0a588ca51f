#!/usr/bin/env python3
"""SQLite "database is locked" wait: a writer waits in the busy handler for an exclusive lock.

The main thread holds ``BEGIN EXCLUSIVE`` on the database and supervises; ``order-writer`` runs
OrderStore.save() -> ``conn.execute("INSERT ...")`` on a connection with a one-hour busy
timeout, so SQLite's busy handler sleeps and retries (nanosleep) for an hour.
"""
import os
import sqlite3
import tempfile
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class OrderStore:
    def __init__(self, path):
        self.path = path

    def save(self, order_id):
        conn = sqlite3.connect(self.path, timeout=3600)
        with conn:
            conn.execute("INSERT INTO orders VALUES (?)", (order_id,))  # blocks: database is locked


def record_orders(store):
    for i in range(3):
        store.save(i)


def main():
    app.boot("sqlite_busy", __doc__.splitlines()[0])
    fd, path = tempfile.mkstemp(suffix=".db")
    os.close(fd)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE orders (id INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    w = app.start("order-writer", "sleep", record_orders, OrderStore(path))
    threading.Event().wait(0.3)
    app.ready(db=path)
    app.wait_for_workers([w])


if __name__ == "__main__":
    main()
