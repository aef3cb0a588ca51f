"""Cover thumbnails for the OPAC, scaled by the vendor's C imaging library (a ctypes binding)."""
from __future__ import annotations

import ctypes

from shelfnet import config

# the vendor binding loads the scaler with PyDLL: its calls keep the GIL for their whole duration
_SCALER = ctypes.PyDLL(None)


def render_cover_thumbnail(isbn: str, width: int) -> bytes:
    config.announce("sleep")
    _SCALER.sleep(3600)  # the scaler blocks on its licence server while holding the GIL
    return f"{isbn}:{width}".encode()


def cover(isbn: str) -> bytes:
    return render_cover_thumbnail(isbn, 180)
