"""The STS crane hoist drive: position changes are made under the hoist lock."""
import threading

from . import spreader

hoist_lock = threading.Lock()
_height = {}


def raise_hoist(crane, metres):
    with hoist_lock:
        _height[crane] = _height.get(crane, 0.0) + metres


def lower_hoist(crane, on_held=None):
    with hoist_lock:
        _height[crane] = 0.0
        if on_held is not None:
            on_held()
        spreader.release_twistlocks(crane)
