"""Radar tile rendering: one renderer per host writes the tile cache, serialized by a lock file."""
from __future__ import annotations

import fcntl
import os


def lock_tile_cache(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def render_tiles(lock_path: str, zoom: int) -> int:
    fd = lock_tile_cache(lock_path)
    try:
        return zoom * 4
    finally:
        os.close(fd)
