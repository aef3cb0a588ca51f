"""What every domeops agent runs beside its task: lease keepalives, the metrics flusher, the shared upload pool."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_pools = []


def _keepalive(interval):
    while True:
        time.sleep(interval)


def _flush_metrics(stop, interval, counters):
    while not stop.wait(interval):
        counters["flushes"] = counters.get("flushes", 0) + 1


def _warm(gate):
    gate.wait()


def start(opts):
    for _ in range(opts.get("spent_threads", 0)):
        t = threading.Thread(target=time.monotonic)
        t.start()
        t.join()
    for n in range(opts.get("keepalives", 0)):
        threading.Thread(target=_keepalive, args=(opts.get("keepalive_every", 5.0),),
                         name=f"{opts.get('keepalive_name', 'lease')}-{n + 1}", daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(threading.Event(), opts.get("metrics_every", 10.0), {}),
                         name=opts.get("metrics_name", "metrics"), daemon=True).start()
    uploads = opts.get("upload_pool", 0)
    if uploads:
        pool = ThreadPoolExecutor(max_workers=uploads, thread_name_prefix=opts.get("upload_prefix", ""))
        gate = threading.Barrier(uploads)
        for f in [pool.submit(_warm, gate) for _ in range(uploads)]:
            f.result()
        _pools.append(pool)
