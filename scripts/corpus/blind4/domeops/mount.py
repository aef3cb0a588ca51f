"""Telescope mount: every axis move holds the axis lock; a slew keeps the dome slit aligned as it goes."""
import threading

from . import dome

_axis_lock = threading.Lock()
_state = {"ra": 0.0, "dec": 0.0, "parked": False}


def park_axes(reason):
    with _axis_lock:
        _state["parked"] = True
        return f"parked ({reason})"


def slew_mount(ra, dec, on_axes_held=None):
    with _axis_lock:
        _state.update(ra=ra, dec=dec, parked=False)
        if on_axes_held is not None:
            on_axes_held()
        azimuth = (ra * 15.0) % 360.0
        dome.align_slit(azimuth)
