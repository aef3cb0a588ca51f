"""What every clearwell agent runs beside its job: SCADA heartbeats, the metrics flusher, the report upload pool."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_kept = []


def _scada_heartbeat(every):
    while True:
        time.sleep(every)


def _flush_metrics(stop, every, sink):
    while not stop.wait(every):
        sink.append(time.time())
        del sink[:-16]


def _prime(barrier):
    barrier.wait()


def start_bystanders(opts):
    for _ in range(opts.get("spent_threads", 0)):
        probe = threading.Thread(target=time.time)
        probe.start()
        probe.join()
    for n in range(opts.get("heartbeats", 0)):
        threading.Thread(target=_scada_heartbeat, args=(opts.get("heartbeat_every", 5.0),),
                         name=f"{opts.get('heartbeat_name', 'heartbeat')}-{n + 1}", daemon=True).start()
    if opts.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(threading.Event(), opts.get("metrics_every", 10.0), []),
                         name=opts.get("metrics_name", "metrics"), daemon=True).start()
    uploads = opts.get("upload_pool", 0)
    if uploads:
        pool = ThreadPoolExecutor(max_workers=uploads, thread_name_prefix=opts.get("upload_prefix", ""))
        barrier = threading.Barrier(uploads)
        pending = [pool.submit(_prime, barrier) for _ in range(uploads)]
        for job in pending:
            job.result()
        _kept.append(pool)
