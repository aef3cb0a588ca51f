#!/usr/bin/env python3
"""Lock-order deadlock across two classes, each guarding its state with ``self._lock``.

``order-worker``: Inventory.reserve() holds the inventory's lock and calls Orders.confirm(),
which waits for the orders' lock. ``refund-worker``: Orders.cancel() holds the orders' lock
and calls Inventory.release(), which waits for the inventory's lock.
"""
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.
both_inside = threading.Barrier(3)  # both workers and main


class Inventory:
    def __init__(self):
        self._lock = threading.Lock()
        self._stock = {"sku-1": 3}
        self.orders = None

    def reserve(self, sku, order_id):
        with self._lock:
            self._stock[sku] -= 1
            both_inside.wait()
            self.orders.confirm(order_id)

    def release(self, sku):
        with self._lock:  # blocks: order-worker holds it
            self._stock[sku] += 1


class Orders:
    def __init__(self, inventory):
        self._lock = threading.Lock()
        self._state = {}
        self.inventory = inventory

    def confirm(self, order_id):
        with self._lock:  # blocks: refund-worker holds it
            self._state[order_id] = "confirmed"

    def cancel(self, order_id, sku):
        with self._lock:
            self._state[order_id] = "cancelled"
            both_inside.wait()
            self.inventory.release(sku)


def main():
    app.boot("inventory_orders", __doc__.splitlines()[0])
    inventory = Inventory()
    orders = Orders(inventory)
    inventory.orders = orders
    a = app.start("order-worker", "lock", inventory.reserve, "sku-1", 7)
    b = app.start("refund-worker", "lock", orders.cancel, 8, "sku-1")
    both_inside.wait()
    app.ready(deadlock=[{"thread": a.name, "holds": ["Inventory._lock"], "waits_for": "Orders._lock"},
                        {"thread": b.name, "holds": ["Orders._lock"], "waits_for": "Inventory._lock"}])
    app.wait_for_workers([a, b])


if __name__ == "__main__":
    main()
