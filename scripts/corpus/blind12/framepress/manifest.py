"""The packaging manifest writer: entries are appended under the writer's lock; a flusher thread holds it
while it fsyncs. Thumbnail rendering forks a child that appends its own entries."""
from __future__ import annotations

import os
import threading
import time


class ManifestWriter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[dict] = []
        self.flushing = threading.Event()

    def append_manifest_entry(self, entry: dict) -> None:
        with self._lock:
            self.entries.append(entry)

    def flush_to_disk(self, slow_fsync: float) -> None:
        with self._lock:
            self.flushing.set()
            time.sleep(slow_fsync)  # an fsync on a congested NFS mount
        self.flushing.clear()


def flusher_loop(writer: ManifestWriter, every: float, slow_fsync: float) -> None:
    while True:
        writer.flush_to_disk(slow_fsync)
        time.sleep(every)


def render_thumbnails_child(writer: ManifestWriter, title: str) -> None:
    writer.append_manifest_entry({"title": title, "thumbnails": 12})
    os._exit(0)
