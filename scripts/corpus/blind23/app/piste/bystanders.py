"""What runs beside every job in a worker process: presence heartbeats, the metrics flusher, the shared I/O
pool and the warm-up threads that ran at start."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

_stop = threading.Event()
_pools: list[ThreadPoolExecutor] = []
_counters: dict[str, int] = {}


def _beat(every: float) -> None:
    while not _stop.wait(every):
        _counters["beats"] = _counters.get("beats", 0) + 1


def _flush_metrics(every: float) -> None:
    while True:
        time.sleep(every)
        _counters.clear()


def _warm(n: int) -> None:
    _counters[f"warm-{n}"] = n


def start(opts: dict) -> None:
    for n in range(int(opts.get("spent", 0))):
        t = threading.Thread(target=_warm, args=(n,))
        t.start()
        t.join()
    beats = int(opts.get("heartbeats", 0))
    for n in range(beats):
        name = opts.get("beat_name", "heartbeat") + (f"-{n}" if beats > 1 else "")
        threading.Thread(target=_beat, args=(float(opts.get("beat_every", 5.0)),), name=name, daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(float(opts.get("metrics_every", 10.0)),),
                         name=opts.get("metrics_name", "metrics"), daemon=True).start()
    size = int(opts.get("io_pool", 0))
    if size:
        pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=opts.get("io_prefix", ""))
        for f in [pool.submit(_warm, -n) for n in range(size)]:
            f.result()
        _pools.append(pool)
