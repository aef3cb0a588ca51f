"""What runs in every rxrounds process beside its task: presence heartbeats, the audit-metrics flusher, the
idle report-upload pool."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_upload_pools = []


def _heartbeat(period):
    while True:
        time.sleep(period)


def _flush_audit_metrics(stop, period, samples):
    while not stop.wait(period):
        samples.append(time.monotonic())
        del samples[:-64]


def _prime(barrier):
    barrier.wait()


def start_background(config):
    for _ in range(config.get("spent_threads", 0)):
        probe = threading.Thread(target=time.monotonic)
        probe.start()
        probe.join()
    for n in range(config.get("heartbeats", 0)):
        threading.Thread(target=_heartbeat, args=(config.get("heartbeat_every", 5.0),),
                         name=f"{config.get('heartbeat_name', 'heartbeat')}-{n + 1}", daemon=True).start()
    if config.get("metrics"):
        threading.Thread(target=_flush_audit_metrics, args=(threading.Event(), config.get("metrics_every", 10.0), []),
                         name=config.get("metrics_name", "audit-metrics"), daemon=True).start()
    uploaders = config.get("upload_pool", 0)
    if uploaders:
        pool = ThreadPoolExecutor(max_workers=uploaders, thread_name_prefix=config.get("upload_prefix", ""))
        barrier = threading.Barrier(uploaders)
        for job in [pool.submit(_prime, barrier) for _ in range(uploaders)]:
            job.result()
        _upload_pools.append(pool)
