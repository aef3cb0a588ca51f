"""How a job runs inside a worker process: its harness (inline, a joined task thread, a one-slot executor; a
coroutine job under asyncio.run), the process's service threads (heartbeats, metrics flusher, an I/O pool),
and the readiness notice the supervisor waits for (one `READY {...}` line once the job's threads wait)."""
from __future__ import annotations

import asyncio
import inspect
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Job:
    """What a job sees: its configuration and the readiness notifier."""

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._expected = 0
        self._waiting = []
        self._service = []
        self._told = False
        self.role = "main"

    def get(self, key, default=None):
        return self.config.get(key, default)

    def expect(self, n=1):
        """n more threads of this job are going to wait."""
        with self._lock:
            self._expected += n

    def service_thread_up(self, state="blocked"):
        with self._lock:
            self._service.append([os.getpid(), threading.get_native_id(), state])

    def waiting(self, state="blocked", tid=None):
        """The calling thread (or tid) is about to wait in `state`: once every expected thread is, tell the
        supervisor."""
        with self._lock:
            self._waiting.append([os.getpid(), tid or threading.get_native_id(), state])
            if self._told or len(self._waiting) < self._expected:
                return
            self._told = True
            report = {"python": platform.python_version(), "capture_pid": os.getpid(), "role": self.role,
                      "settle": self._service + self._waiting}
        sys.stdout.write("READY " + json.dumps(report) + "\n")
        sys.stdout.flush()


def _heartbeat(job, stop, every):
    job.service_thread_up()
    while not stop.wait(every):
        pass


def _metrics_flusher(job, every):
    job.service_thread_up()
    while True:
        time.sleep(every)
        sys.stderr.flush()


def _noop():
    time.sleep(0.01)


def start_service_threads(job):
    """The threads every farebox worker runs beside its job."""
    cfg = job.config
    for _ in range(cfg.get("spent", 0)):  # one-off threads of start-up (config load, DNS warmup)
        t = threading.Thread(target=_noop)
        t.start()
        t.join()
    stop = threading.Event()
    started = []
    for i in range(cfg.get("heartbeats", 0)):
        name = cfg.get("beat_name", "heartbeat") + ("" if i == 0 else f"-{i}")
        t = threading.Thread(target=_heartbeat, args=(job, stop, cfg.get("beat_every", 5.0)), name=name, daemon=True)
        t.start()
        started.append(t)
    if cfg.get("metrics"):
        t = threading.Thread(target=_metrics_flusher, args=(job, cfg.get("metrics_every", 10.0)),
                             name=cfg.get("metrics_name", "metrics"), daemon=True)
        t.start()
        started.append(t)
    pool = None
    if cfg.get("io_pool"):
        pool = ThreadPoolExecutor(max_workers=cfg["io_pool"], thread_name_prefix=cfg.get("io_prefix", ""))
        for f in [pool.submit(_noop) for _ in range(cfg["io_pool"])]:
            f.result()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with job._lock:
            if len(job._service) >= len(started):
                break
        time.sleep(0.01)
    if pool is not None:
        job._service.extend([os.getpid(), t.native_id, "blocked"] for t in pool._threads)
    return stop, pool


def _call(fn, job):
    if inspect.iscoroutinefunction(fn):
        return asyncio.run(fn(job))
    return fn(job)


def run_job(fn, harness, config):
    """Run job `fn` under `harness` in this process; its exit status."""
    job = Job(config)
    stop, pool = start_service_threads(job)
    if harness == "inline":
        result = _call(fn, job)
    elif harness == "threaded":
        box = {}
        name = config.get("task_thread") or None
        task = threading.Thread(target=lambda: box.update(result=_call(fn, job)), name=name)
        job.service_thread_up()  # the main thread waits for the task thread
        task.start()
        task.join()
        result = box.get("result")
    else:
        runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix=config.get("task_prefix", ""))
        job.service_thread_up()  # the main thread waits for the job's future
        future = runner.submit(_call, fn, job)
        for _ in range(config.get("queued", 0)):  # the next scheduled runs of the job queue behind it
            runner.submit(time.sleep, 0)
        result = future.result()
        runner.shutdown()
    stop.set()
    if pool is not None:
        pool.shutdown()
    return result or 0
