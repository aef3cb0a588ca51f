"""RQ jobs of curbside: camera feed ingestion, the permit roll export, tow photo archiving."""
from __future__ import annotations

import fcntl
import multiprocessing
import os
import socket

from . import settings


def read_camera_frame(feed: socket.socket) -> bytes:
    header = b""
    settings.report("recv")
    while len(header) < 16:
        chunk = feed.recv(16 - len(header))
        if not chunk:
            break
        header += chunk
    return header


def ingest_camera_feed(camera: str) -> int:
    feed = socket.create_connection((settings.UPSTREAM_HOST, settings.UPSTREAM_PORT))  # no timeout
    feed.sendall(f"SUBSCRIBE {camera}\n".encode())
    return len(read_camera_frame(feed))


def lock_permit_roll(path: str, zone: str) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    settings.report("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)  # the nightly roll printer holds it for hours
    os.write(fd, f"{zone}\n".encode())
    return fd


def export_permit_roll(zone: str) -> int:
    fd = lock_permit_roll(settings.ROLL_LOCK, zone)
    os.close(fd)
    return 0


def _compress_photo(name: str) -> int:
    if name.endswith(".heic"):
        os._exit(139)  # the codec segfaults on HEIC: the pool loses the task
    return len(name)


def compress_tow_photos(photos: list) -> list:
    with multiprocessing.Pool(2) as pool:
        settings.report("futex")
        return pool.map(_compress_photo, photos)


def archive_tow_photos(tow_id: str, photos: list) -> int:
    return sum(compress_tow_photos(photos))
