"""How a job runs inside an aquaduct process: the harness (inline, a joined task thread, a one-slot executor,
or under asyncio.run), the service threads every process has (heartbeats, the metrics flusher, the I/O pool),
and the startup probe that tells the supervisor (stdout `READY {...}`) once the process has settled."""
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
from dataclasses import dataclass

HARNESSES = ("inline", "threaded", "executor", "asyncio")
REPORTED = threading.Event()
_job_tid: list[int] = []


@dataclass(frozen=True)
class Job:
    fn: object
    spins: bool = False  # the job computes (its thread stays on the CPU)
    announces: bool = False  # the job waits for the startup probe before it starts its driver


def _heartbeat(stop: threading.Event, every: float) -> None:
    beats = 0
    while not stop.wait(every):
        beats += 1


def _flush_metrics(every: float) -> None:
    counters: dict[str, int] = {}
    while True:
        time.sleep(every)
        counters.clear()


def start_service_threads(cfg: dict) -> None:
    for _ in range(int(cfg.get("spent", 0))):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    stop = threading.Event()
    for i in range(int(cfg.get("heartbeats", 0))):
        threading.Thread(target=_heartbeat, args=(stop, float(cfg.get("beat_every", 5.0))),
                         name=f"{cfg.get('beat_name', 'heartbeat')}-{i}", daemon=True).start()
    if cfg.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(float(cfg.get("metrics_every", 10.0)),),
                         name=str(cfg.get("metrics_name", "metrics")), daemon=True).start()
    size = int(cfg.get("io_pool", 0))
    if size:
        pool = ThreadPoolExecutor(size, thread_name_prefix=str(cfg.get("io_prefix", "")))
        for _ in range(size):
            pool.submit(time.sleep, 0.05)
        globals()["IO_POOL"] = pool


def _state(tid: int) -> str:
    try:
        with open(f"/proc/self/task/{tid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def _probe(job: Job, started: float) -> None:
    """Print READY once every other thread of the process is asleep (or the job's thread computes)."""
    me = threading.get_native_id()
    time.sleep(0.5)
    streak = 0
    while streak < 6 and time.monotonic() - started < 40:
        if job.spins:
            tids = list(_job_tid)
            ok = bool(tids) and all(_state(t) == "R" for t in tids)
        else:
            tids = [int(t) for t in os.listdir("/proc/self/task") if int(t) != me]
            ok = all(_state(t) not in ("R", "?") for t in tids)
        streak = streak + 1 if ok else 0
        time.sleep(0.05)
    pid = os.getpid()
    settle = [[pid, t, "running" if job.spins else "blocked"] for t in tids]
    sys.stdout.write("READY " + json.dumps({"python": platform.python_version(), "capture_pid": pid,
                                            "settle": settle}) + "\n")
    sys.stdout.flush()
    REPORTED.set()


def wait_until_reported(timeout: float = 30.0) -> None:
    REPORTED.wait(timeout)


async def _as_coroutine(fn, cfg: dict):
    return fn(cfg)


def run(job: Job, harness: str, cfg: dict) -> None:
    start_service_threads(cfg)
    threading.Thread(target=_probe, args=(job, time.monotonic()), name="startup-probe", daemon=True).start()

    def call():
        _job_tid.append(threading.get_native_id())
        if inspect.iscoroutinefunction(job.fn):
            return asyncio.run(job.fn(cfg))
        return job.fn(cfg)

    if harness == "inline":
        call()
    elif harness == "threaded":
        name = cfg.get("task_thread") or None
        t = threading.Thread(target=call, name=name)
        t.start()
        t.join()
    elif harness == "executor":
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=str(cfg.get("task_prefix", ""))) as slot:
            future = slot.submit(call)
            for _ in range(int(cfg.get("queued", 0))):
                slot.submit(time.sleep, 0)
            future.result()
    elif harness == "asyncio":
        _job_tid.append(threading.get_native_id())
        if inspect.iscoroutinefunction(job.fn):
            asyncio.run(job.fn(cfg))
        else:
            asyncio.run(_as_coroutine(job.fn, cfg))
    else:
        raise ValueError(f"unknown harness {harness!r}")
