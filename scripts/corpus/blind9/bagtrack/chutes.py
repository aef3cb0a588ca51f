"""Make-up chutes: reservation and closing."""
import threading

from bagtrack import conveyor, readiness

chute_lock = threading.Lock()
_reserved = set()


def reserve_chute(tag):
    with chute_lock:
        _reserved.add(tag)


def close_chute(chute, gate):
    with chute_lock:
        gate.wait()
        readiness.probe.here("futex")
        conveyor.reroute_bags(chute)
