"""How a lendwell job runs in its process: the harness around it (inline, a task thread, a supervised task
thread, a one-slot executor), the fleet's bystander threads (heartbeats, a metrics flusher, an idle upload
pool), and the READY line the deployment's health probe reads once the job's threads reached their wait."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Queue
from typing import Callable


class Context:
    """What a job gets: its settings, and `checkpoint` to say a thread reached the wait it parks in."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self._cv = threading.Condition()
        self._points: list[list] = []
        self._expected = None
        self.announced = threading.Event()
        self.stop = threading.Event()
        self.backlog: Queue = Queue()

    def get(self, key: str, default=None):
        return self.settings.get(key, default)

    def expect(self, count: int) -> None:
        with self._cv:
            self._expected = count
            self._cv.notify_all()

    def checkpoint(self, kind: str, hold: bool = False) -> None:
        with self._cv:
            self._points.append([os.getpid(), threading.get_native_id(), kind])
            self._cv.notify_all()
        if hold:  # a thread about to keep the GIL lets the probe line out first
            self.announced.wait()

    def announce(self) -> None:
        with self._cv:
            self._cv.wait_for(lambda: self._expected is not None and len(self._points) >= self._expected)
            points = list(self._points)
        line = {"capture_pid": os.getpid(), "python": platform.python_version(), "settle": points}
        sys.stdout.write("READY " + json.dumps(line) + "\n")
        sys.stdout.flush()
        self.announced.set()


def _beat(ctx: Context, path: Path, every: float) -> None:
    while not ctx.stop.wait(every):
        path.write_text(str(time.time()))


def _flush_metrics(ctx: Context, every: float) -> None:
    sent = 0
    while True:
        time.sleep(every)
        sent += ctx.backlog.qsize()


def start_bystanders(ctx: Context) -> list:
    """The threads every lendwell process has beside its job."""
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    for n in range(int(ctx.get("spent", 0))):
        t = threading.Thread(target=time.sleep, args=(0,))
        t.start()
        t.join()
    for n in range(int(ctx.get("heartbeats", 0))):
        name = ctx.get("beat_name", "heartbeat") + (f"-{n}" if n else "")
        threading.Thread(target=_beat, args=(ctx, tmp / f"{name}.beat", float(ctx.get("beat_every", 2.0))),
                         name=name, daemon=True).start()
    if ctx.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(ctx, float(ctx.get("metrics_every", 10.0))),
                         name=ctx.get("metrics_name", "metrics"), daemon=True).start()
    pools = []
    uploaders = int(ctx.get("uploaders", 0))
    if uploaders:
        pool = ThreadPoolExecutor(max_workers=uploaders, thread_name_prefix=ctx.get("upload_prefix", ""))
        for f in [pool.submit(time.sleep, 0.01) for _ in range(uploaders)]:
            f.result()
        pools.append(pool)
    for n in range(int(ctx.get("queued", 0))):
        ctx.backlog.put({"job": n, "queued_at": time.time()})
    return pools


def run(job: Callable[[Context], object], harness: str, settings: dict) -> int:
    ctx = Context(settings)
    keep = start_bystanders(ctx)
    threading.Thread(target=ctx.announce, name="ready-probe", daemon=True).start()
    if harness == "inline":
        job(ctx)
    elif harness in ("threaded", "supervised"):
        task = threading.Thread(target=job, args=(ctx,), name=settings.get("task_thread") or None)
        task.start()
        if harness == "threaded":
            task.join()
        while task.is_alive():
            task.join(5.0)
    elif harness == "executor":
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=settings.get("task_prefix", "")) as slot:
            slot.submit(job, ctx).result()
    else:
        raise SystemExit(f"unknown harness {harness!r}")
    del keep
    return 0
