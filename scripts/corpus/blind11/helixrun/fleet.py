"""What every helixrun worker runs beside its job: heartbeats to the scheduler, the metrics flusher, the
upload pool for finished artefacts, and the short-lived threads of start-up (config fetch, warm-up)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

_stop = threading.Event()
_counters: dict[str, int] = {}
_pools: list[ThreadPoolExecutor] = []


def send_heartbeat(name: str) -> None:
    _counters[name] = _counters.get(name, 0) + 1


def heartbeat_loop(name: str, every: float) -> None:
    while not _stop.wait(every):
        send_heartbeat(name)


def flush_metrics() -> None:
    _counters["flushes"] = _counters.get("flushes", 0) + 1


def metrics_loop(every: float) -> None:
    while True:
        time.sleep(every)
        flush_metrics()


def _warm_up(n: int) -> int:
    return sum(range(n))


def start_bystanders(opts: dict) -> None:
    for k in range(int(opts.get("spent", 0))):
        t = threading.Thread(target=_warm_up, args=(1000 * (k + 1),))
        t.start()
        t.join()
    name = str(opts.get("beat_name", "heartbeat"))
    for i in range(int(opts.get("heartbeats", 0))):
        threading.Thread(target=heartbeat_loop, args=(name, float(opts.get("beat_every", 2.0))),
                         name=f"{name}-{i}" if i else name, daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=metrics_loop, args=(float(opts.get("metrics_every", 10.0)),),
                         name=str(opts.get("metrics_name", "metrics")), daemon=True).start()
    uploaders = int(opts.get("uploaders", 0))
    if uploaders:
        pool = ThreadPoolExecutor(max_workers=uploaders, thread_name_prefix=str(opts.get("upload_prefix", "")))
        for f in [pool.submit(_warm_up, 10) for _ in range(uploaders * 2)]:
            f.result()
        _pools.append(pool)
