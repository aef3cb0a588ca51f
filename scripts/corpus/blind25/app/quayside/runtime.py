"""Process runtime: the worker's harness, its background threads and the ready report."""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import os
import sys
import threading
import time


class Readiness:
    """The threads a job parks, reported once on stdout for the ops supervisor."""

    def __init__(self) -> None:
        self.marks: list[tuple[int, int, str]] = []
        self.expected = 1
        self.lock = threading.Lock()
        self.printed = threading.Event()
        self.role = "main"

    def expect(self, n: int) -> None:
        self.expected = n

    def mark(self, kind: str) -> None:
        with self.lock:
            self.marks.append((os.getpid(), threading.get_native_id(), kind))

    def report(self, extra: list) -> None:
        deadline = time.monotonic() + 30
        while len(self.marks) < self.expected and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        info = {"python": sys.version.split()[0], "capture_pid": os.getpid(), "role": self.role,
                "settle": [list(m) for m in self.marks] + extra}
        sys.stdout.write("READY " + json.dumps(info) + "\n")
        sys.stdout.flush()
        self.printed.set()


READY = Readiness()


def _heartbeat(stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        pass


def _flush_metrics(every: float) -> None:
    counters = {}
    while True:
        time.sleep(every)
        counters["flushes"] = counters.get("flushes", 0) + 1


def start_background(opts: dict) -> list:
    """Heartbeats, the metrics flusher, an idle I/O pool and spent helper threads."""
    keep = []
    stop = threading.Event()
    for i in range(int(opts.get("spent", 0))):
        t = threading.Thread(target=lambda: None)  # warm-up helpers, spent
        t.start()
        t.join()
    for i in range(int(opts.get("heartbeats", 0))):
        t = threading.Thread(target=_heartbeat, args=(stop, float(opts.get("beat_every", 5.0))),
                             name=f"{opts.get('beat_name', 'heartbeat')}-{i}", daemon=True)
        t.start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(float(opts.get("metrics_every", 15.0)),),
                         name=str(opts.get("metrics_name", "metrics")), daemon=True).start()
    n = int(opts.get("io_pool", 0))
    if n:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=n, thread_name_prefix=str(opts.get("io_prefix", "")))
        for f in [pool.submit(time.sleep, 0) for _ in range(n)]:
            f.result()
        keep.append(pool)
    keep.append(stop)
    return keep


def _call(job, opts):
    result = job(opts)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result


def run_job(job, mode: str, opts: dict) -> int:
    """Run `job` the way this worker is configured: inline, in a task thread, on a one-slot pool, or under asyncio."""
    keep = start_background(opts)
    reporter = threading.Thread(target=READY.report, args=([],), name="ready-report", daemon=True)
    reporter.start()
    if mode == "inline":
        _call(job, opts)
    elif mode == "threaded":
        t = threading.Thread(target=_call, args=(job, opts), name=str(opts.get("task_thread") or "task"))
        t.start()
        t.join()
    elif mode == "executor":
        with concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                   thread_name_prefix=str(opts.get("task_prefix", ""))) as pool:
            pool.submit(_call, job, opts).result()
    elif mode == "asyncio":
        async def service():
            result = job(opts)
            if inspect.iscoroutine(result):
                result = await result
            return result
        asyncio.run(service())
    else:
        raise SystemExit(f"unknown mode {mode}")
    del keep
    return 0
