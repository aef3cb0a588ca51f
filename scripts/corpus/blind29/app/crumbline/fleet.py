"""What every crumbline process runs beside its job: lease heartbeats to the plant registry, the metrics
flusher, the shared I/O pool, and the short-lived threads startup leaves behind."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_stop = threading.Event()
METRICS = {"jobs": 0, "frames": 0}


def _renew_lease(every):
    while not _stop.wait(every):
        METRICS["frames"] += 0


def _flush_metrics(every):
    while True:
        time.sleep(every)
        snapshot = dict(METRICS)
        snapshot.clear()


def _warm_cache(n):
    return sum(range(n))


def start_bystanders(opts):
    for _ in range(opts.get("spent", 0)):
        t = threading.Thread(target=_warm_cache, args=(100,))
        t.start()
        t.join()
    for i in range(opts.get("beats", 0)):
        name = opts.get("beat_name", "hb")
        threading.Thread(target=_renew_lease, args=(opts.get("beat_every", 5.0),),
                         name=f"{name}-{i}" if i else name, daemon=True).start()
    if opts.get("flusher"):
        threading.Thread(target=_flush_metrics, args=(opts.get("flush_every", 10.0),),
                         name=opts.get("flusher_name", "metrics"), daemon=True).start()
    n = opts.get("idle_pool", 0)
    if n:
        pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix=opts.get("idle_prefix", ""))
        gate = threading.Barrier(n)
        for f in [pool.submit(gate.wait) for _ in range(n)]:
            f.result()
        return pool
    return None
