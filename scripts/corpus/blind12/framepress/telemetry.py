"""The farm's background threads every worker runs: heartbeats to the scheduler, a metrics flusher, an
upload pool kept warm for finished renditions, and the short-lived helpers a worker has already retired."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

STOP = threading.Event()
_counters: dict[str, float] = {}


def count(name: str, n: float = 1) -> None:
    _counters[name] = _counters.get(name, 0) + n


def send_heartbeat(worker: str) -> None:
    count(f"heartbeat.{worker}")


def heartbeat_loop(worker: str, every: float) -> None:
    while not STOP.wait(every):
        send_heartbeat(worker)


def flush_metrics() -> None:
    snapshot = dict(_counters)
    count("metrics.flushes", len(snapshot) >= 0)


def metrics_loop(every: float) -> None:
    while True:
        time.sleep(every)
        flush_metrics()


def _retired_helper(n: int) -> int:
    return sum(range(n))


def start_background(opts: dict) -> list:
    """Start the bystanders the options ask for; returns what must stay referenced (the pools)."""
    keep = []
    for n in range(int(opts.get("spent", 0))):
        helper = threading.Thread(target=_retired_helper, args=(n,), daemon=True)
        helper.start()
        helper.join()
    for n in range(int(opts.get("heartbeats", 0))):
        name = f"{opts.get('beat_name', 'hb')}-{n}" if n else opts.get("beat_name", "hb")
        threading.Thread(target=heartbeat_loop, args=(name, float(opts.get("beat_every", 2.0))),
                         name=name, daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=metrics_loop, args=(float(opts.get("metrics_every", 10.0)),),
                         name=opts.get("metrics_name") or None, daemon=True).start()
    uploaders = int(opts.get("uploaders", 0))
    if uploaders:
        pool = ThreadPoolExecutor(max_workers=uploaders, thread_name_prefix=opts.get("upload_prefix", ""))
        for f in [pool.submit(_retired_helper, k) for k in range(uploaders * 2)]:
            f.result()
        keep.append(pool)
    return keep
