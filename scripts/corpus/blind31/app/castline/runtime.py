"""Process runtime of a castline job: the bystander threads every worker has (lease heartbeats, the metrics
flusher, the upload pool), how the job is run (inline, task thread, one-slot executor, asyncio) and the
READY report the supervisor waits for once the job's threads are parked."""
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

_keep = []


class Context:
    """What a job gets: its options and the readiness report."""

    def __init__(self, opts):
        self.opts = opts
        self._cv = threading.Condition()
        self._marks = []
        self._expected = None
        self.reported = threading.Event()

    def arm(self, n):
        with self._cv:
            self._expected = n
            self._cv.notify_all()

    def mark(self, kind="blocked"):
        with self._cv:
            self._marks.append([os.getpid(), threading.get_native_id(), kind])
            self._cv.notify_all()

    def _report(self):
        with self._cv:
            while self._expected is None or len(self._marks) < self._expected:
                self._cv.wait()
            settle = list(self._marks)
        time.sleep(0.3)
        info = {"python": platform.python_version(), "capture_pid": os.getpid(), "settle": settle, "role": "main"}
        sys.stdout.write("READY " + json.dumps(info) + "\n")
        sys.stdout.flush()
        self.reported.set()


def _beat(stop, every):
    while not stop.wait(every):
        pass


def _flush_metrics(every):
    while True:
        time.sleep(every)


def start_bystanders(opts):
    stop = threading.Event()
    _keep.append(stop)
    for n in range(opts.get("spent", 0)):
        t = threading.Thread(target=time.sleep, args=(0,))
        t.start()
        t.join()
    beats = opts.get("beats", 0)
    for n in range(beats):
        name = opts.get("beat_name", "hb") + (f"-{n}" if beats > 1 else "")
        threading.Thread(target=_beat, args=(stop, opts.get("beat_every", 5.0)), name=name, daemon=True).start()
    if opts.get("flusher"):
        threading.Thread(target=_flush_metrics, args=(opts.get("flush_every", 10.0),),
                         name=opts.get("flusher_name", "metrics"), daemon=True).start()
    if opts.get("idle_pool"):
        pool = ThreadPoolExecutor(opts["idle_pool"], thread_name_prefix=opts.get("idle_prefix", ""))
        for _ in range(opts["idle_pool"]):
            pool.submit(time.sleep, 0.05)
        _keep.append(pool)


def _call(job, ctx):
    if inspect.iscoroutinefunction(job):
        return asyncio.run(job(ctx))
    return job(ctx)


async def _in_loop(job, ctx):
    if inspect.iscoroutinefunction(job):
        return await job(ctx)
    return job(ctx)  # the job's blocking calls block this loop


def run_job(name, harness, opts):
    from castline.jobs import JOBS

    job = JOBS[name]
    ctx = Context(opts)
    start_bystanders(opts)
    threading.Thread(target=ctx._report, name="ready-report", daemon=True).start()
    if harness == "inline":
        _call(job, ctx)
    elif harness == "threaded":
        task = threading.Thread(target=_call, args=(job, ctx), name=opts.get("task_thread") or None)
        task.start()
        task.join()
    elif harness == "executor":
        with ThreadPoolExecutor(1, thread_name_prefix=opts.get("task_prefix", "")) as ex:
            fut = ex.submit(_call, job, ctx)
            for _ in range(opts.get("queued", 0)):
                ex.submit(time.sleep, 0)
            fut.result()
    else:
        asyncio.run(_in_loop(job, ctx))
    return 0
