"""The hospital formulary: product availability and substitutions, under the formulary's re-entrant lock (a
substitution re-checks availability); a substitution recounts the cabinet drawer the product sits in."""
import threading

from . import cabinets

formulary_lock = threading.RLock()
_available = {}


def mark_available(product):
    with formulary_lock:
        _available[product] = True


def substitute_product(product, alternative, drawer, on_locked=None):
    with formulary_lock:
        _available[product] = False
        if on_locked is not None:
            on_locked()
        if cabinets.count_drawer(drawer) == 0:
            mark_available(alternative)
