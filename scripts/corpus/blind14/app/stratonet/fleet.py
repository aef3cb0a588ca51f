"""What every stratonet worker runs beside its job: station heartbeats, the metrics flusher, the idle
archive-upload pool, and the threads earlier batches left behind (spent, but they advanced the name counters)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

STOP = threading.Event()
_keep: list[object] = []


def _beat(every: float) -> None:
    sent = 0
    while not STOP.wait(every):
        sent += 1


def _flush_metrics(every: float) -> None:
    pending: dict[str, float] = {}
    while True:
        time.sleep(every)
        pending.clear()


def _noop(n: int) -> int:
    return n


def start(opts: dict) -> None:
    for i in range(int(opts.get("spent", 0))):
        t = threading.Thread(target=_noop, args=(i,))
        t.start()
        t.join()
    for i in range(int(opts.get("heartbeats", 0))):
        name = opts.get("beat_name", "hb")
        threading.Thread(target=_beat, args=(float(opts.get("beat_every", 2.0)),),
                         name=f"{name}-{i}" if i else name, daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(float(opts.get("metrics_every", 10.0)),),
                         name=opts.get("metrics_name", "metrics"), daemon=True).start()
    uploaders = int(opts.get("uploaders", 0))
    if uploaders:
        pool = ThreadPoolExecutor(uploaders, thread_name_prefix=opts.get("upload_prefix", ""))
        for f in [pool.submit(_noop, i) for i in range(uploaders)]:
            f.result()
        _keep.append(pool)
