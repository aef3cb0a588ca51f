"""The intake queue: a watch-folder feeder puts new uploads on it and the runner takes them one by one. The
feeder dies on the first unreadable upload; nothing restarts it."""
from __future__ import annotations

import queue


def feed_from_watchfolder(inbox: queue.Queue, uploads: list[str]) -> None:
    for name in uploads:
        if name.endswith(".part"):
            raise OSError(f"{name}: upload still in progress")
        inbox.put({"upload": name})


def next_transcode_job(inbox: queue.Queue) -> dict:
    return inbox.get()


def start_transcode(job: dict) -> None:
    job["started"] = True


def consume_intake(inbox: queue.Queue) -> None:
    while True:
        start_transcode(next_transcode_job(inbox))
