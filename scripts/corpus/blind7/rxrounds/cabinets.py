"""Automated dispensing cabinets: the cabinet lock serialises drawer counts; a restock marks the product
available in the formulary while the drawer is still open."""
import threading

from . import formulary

cabinet_lock = threading.Lock()
_drawers = {}


def count_drawer(drawer):
    with cabinet_lock:
        return _drawers.setdefault(drawer, 0)


def restock_drawer(drawer, product, quantity, on_open=None):
    with cabinet_lock:
        _drawers[drawer] = _drawers.get(drawer, 0) + quantity
        if on_open is not None:
            on_open()
        formulary.mark_available(product)
