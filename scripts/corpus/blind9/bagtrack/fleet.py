"""What every bagtrack process runs beside its job: link heartbeats, the metrics flusher, the upload pool."""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("bagtrack.fleet")
_stop = threading.Event()
_counters = {"beats": 0, "flushes": 0}


def _heartbeat(every):
    while True:
        time.sleep(every)
        _counters["beats"] += 1


def _flush_metrics(every):
    while not _stop.wait(every):
        _counters["flushes"] += 1
        log.debug("flushed %s", dict(_counters))


def _nothing():
    return None


def start_background(knobs):
    """Start the bystanders `knobs` asks for; returns the upload pool (kept alive) or None."""
    for _ in range(knobs.get("spent_threads", 0)):
        t = threading.Thread(target=_nothing)
        t.start()
        t.join()
    for n in range(knobs.get("heartbeats", 0)):
        threading.Thread(target=_heartbeat, args=(knobs.get("heartbeat_every", 5.0),),
                         name=f"{knobs.get('heartbeat_name', 'heartbeat')}-{n}", daemon=True).start()
    if knobs.get("metrics"):
        threading.Thread(target=_flush_metrics, args=(knobs.get("metrics_every", 10.0),),
                         name=knobs.get("metrics_name", "metrics"), daemon=True).start()
    size = knobs.get("upload_pool", 0)
    if not size:
        return None
    pool = ThreadPoolExecutor(size, thread_name_prefix=knobs.get("upload_prefix", ""))
    for f in [pool.submit(time.sleep, 0.01) for _ in range(size * 2)]:
        f.result()
    return pool
