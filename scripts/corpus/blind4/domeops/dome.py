"""Dome rotation: the slit lock serialises shutter and rotation; a long rotation parks the mount first."""
import threading

from . import mount

_slit_lock = threading.Lock()
_dome = {"azimuth": 0.0}


def align_slit(azimuth):
    with _slit_lock:
        _dome["azimuth"] = azimuth


def rotate_dome(azimuth, on_slit_held=None):
    with _slit_lock:
        if on_slit_held is not None:
            on_slit_held()
        if abs(azimuth - _dome["azimuth"]) > 90.0:
            mount.park_axes("dome rotation > 90 deg")
        _dome["azimuth"] = azimuth
