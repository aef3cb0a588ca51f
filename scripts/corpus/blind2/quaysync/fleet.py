"""What every agent process runs beside its job: heartbeats, a metrics flusher, an I/O pool."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_beats = {}
_pools = []


def _heartbeat(name, interval):
    while True:
        _beats[name] = time.time()
        time.sleep(interval)


class MetricsFlusher(threading.Thread):
    def __init__(self, name, interval):
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.halt = threading.Event()
        self.sent = 0

    def run(self):
        while not self.halt.wait(self.interval):
            self.flush()

    def flush(self):
        self.sent += len(_beats)


def _warm(gate):
    gate.wait(10)


def start_io_pool(size, prefix):
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=prefix)
    gate = threading.Barrier(size)
    for f in [pool.submit(_warm, gate) for _ in range(size)]:
        f.result()
    _pools.append(pool)


def burn_thread_names(count):
    """Short-lived jobs earlier in the process's life: they move the Thread-N counter."""
    for _ in range(count):
        t = threading.Thread(target=time.time)
        t.start()
        t.join()


def start(opts):
    burn_thread_names(opts.get("spent_threads", 0))
    for i in range(opts.get("heartbeats", 0)):
        name = opts.get("heartbeat_name", "heartbeat") + ("" if i == 0 else f"-{i}")
        threading.Thread(target=_heartbeat, args=(name, opts.get("heartbeat_interval", 5.0)),
                         name=name, daemon=True).start()
    if opts.get("metrics"):
        MetricsFlusher(opts.get("metrics_name", "metrics"), opts.get("metrics_interval", 10.0)).start()
    if opts.get("io_pool"):
        start_io_pool(opts["io_pool"], opts.get("io_pool_prefix", ""))
