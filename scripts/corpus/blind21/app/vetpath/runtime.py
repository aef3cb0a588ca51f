"""Process plumbing shared by every vetpath entry point: the job harnesses, the background services a worker
process always has (heartbeats, metrics, the I/O pool) and the readiness line the supervisor waits for."""
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

_settle: list[list] = []
_settle_lock = threading.Lock()


def expect(kind: str, tid: int | None = None) -> None:
    """Record that this thread (or `tid`) is now expected to sit in `kind` (futex, recv, poll, ...)."""
    with _settle_lock:
        _settle.append([os.getpid(), tid or threading.get_native_id(), kind])


def announce(kind: str | None = None, role: str = "main") -> None:
    """Tell the supervisor this worker is up (and that the caller is about to block in `kind`)."""
    if kind:
        expect(kind)
    with _settle_lock:
        info = {"python": platform.python_version(), "capture_pid": os.getpid(), "settle": list(_settle),
                "role": role, "version": sys.modules["vetpath"].__version__}
    sys.stdout.write("READY " + json.dumps(info) + "\n")
    sys.stdout.flush()


class Config(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _heartbeat(stop: threading.Event, every: float, started: threading.Event) -> None:
    expect("futex")
    started.set()
    while not stop.wait(every):
        pass


def _metrics_flusher(every: float, started: threading.Event) -> None:
    expect("blocked")
    started.set()
    counters = {"jobs": 0}
    while True:
        time.sleep(every)
        counters["jobs"] += 0


def start_background(cfg: Config) -> threading.Event:
    stop = threading.Event()
    for _ in range(cfg.get("spent", 0)):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    for n in range(cfg.get("heartbeats", 0)):
        started = threading.Event()
        name = cfg.get("beat_name", "heartbeat") + (f"-{n}" if n else "")
        threading.Thread(target=_heartbeat, args=(stop, cfg.get("beat_every", 5.0), started), name=name,
                         daemon=True).start()
        started.wait()
    if cfg.get("metrics"):
        started = threading.Event()
        threading.Thread(target=_metrics_flusher, args=(cfg.get("metrics_every", 10.0), started),
                         name=cfg.get("metrics_name", "metrics"), daemon=True).start()
        started.wait()
    if cfg.get("io_pool"):
        size = cfg["io_pool"]
        pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=cfg.get("io_prefix", ""))
        gate = threading.Barrier(size)

        def warm():
            gate.wait()
            expect("futex")

        for f in [pool.submit(warm) for _ in range(size)]:
            f.result()
        cfg["_io_pool"] = pool
    return stop


def _call(job, cfg):
    result = job(cfg)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result


def run(job, harness: str, cfg: Config):
    """Run `job(cfg)` the way the deployment's harness does."""
    start_background(cfg)
    if harness == "inline":
        return _call(job, cfg)
    if harness == "threaded":
        out = {}
        name = cfg.get("task_thread") or None
        t = threading.Thread(target=lambda: out.setdefault("r", _call(job, cfg)), name=name)
        expect("futex")
        t.start()
        t.join()
        return out.get("r")
    if harness == "executor":
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=cfg.get("task_prefix", "")) as pool:
            expect("futex")
            fut = pool.submit(_call, job, cfg)
            return fut.result()
    if harness == "asyncio":
        async def main():
            result = job(cfg)
            if inspect.iscoroutine(result):
                result = await result
            return result
        return asyncio.run(main())
    raise SystemExit(f"unknown harness {harness!r}")


def spawn(target, *args, kind: str = "futex", name: str | None = None, daemon: bool = True) -> threading.Thread:
    """Start a helper thread that will block in `kind`; returns once it is registered."""
    started = threading.Event()

    def body():
        expect(kind)
        started.set()
        target(*args)

    t = threading.Thread(target=body, name=name, daemon=daemon)
    t.start()
    started.wait()
    return t
