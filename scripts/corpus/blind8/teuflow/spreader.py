"""The STS crane spreader: twistlocks are locked and released under the spreader lock."""
import threading

from . import hoist

spreader_lock = threading.Lock()
_twistlocks = {}


def lock_spreader(crane, on_held=None):
    with spreader_lock:
        _twistlocks[crane] = "locked"
        if on_held is not None:
            on_held()
        hoist.raise_hoist(crane, 2.0)


def release_twistlocks(crane):
    with spreader_lock:
        _twistlocks[crane] = "open"
