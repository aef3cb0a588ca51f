"""Image renditions: crops and sizes for every slot a photo is published in."""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import threading
import time

from presswire.ready import announce

SIZES = ((1920, 1080), (1280, 720), (640, 360), (320, 180))


class _Progress(threading.Thread):
    """Reports the resample's progress to the desk every tenth of a second."""

    def __init__(self, photo_id: str) -> None:
        super().__init__(name=f"rendition-progress-{photo_id}", daemon=True)
        self.photo_id, self.ticks = photo_id, 0

    def run(self) -> None:
        while True:
            self.ticks += 1
            time.sleep(0.1)


def resample_master_image(photo_id: str, width: int) -> int:
    """The vendor's resampler is bound with PyDLL: the call keeps the GIL while it works."""
    progress = _Progress(photo_id)
    progress.start()
    time.sleep(0.3)
    lanczos = ctypes.PyDLL(None)
    announce("sleep")
    lanczos.sleep(3600)  # stands for the resampler stalled on a corrupt master
    return width


def _crop_tile(spec: tuple[str, int]) -> str:
    photo_id, n = spec
    if n == 3:
        os._exit(139)  # the decoder segfaults on this tile of a corrupt TIFF
    return f"{photo_id}-tile{n}"


def build_contact_sheet(photo_id: str, tiles: int) -> list[str]:
    """A contact sheet's tiles cropped in parallel; one decoder crash and map() never returns."""
    with multiprocessing.get_context("fork").Pool(2) as pool:
        announce("futex")
        return pool.map(_crop_tile, [(photo_id, n) for n in range(tiles)])


def await_rendition_set(pending) -> list:
    """Waits for the GPU queue's rendition tasks (nothing consumes that queue on this host)."""
    announce("blocked")
    return pending.get(disable_sync_subtasks=False)
