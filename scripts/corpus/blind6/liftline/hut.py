"""What runs in every liftline agent beside its task: tower pings, the telemetry flusher, the photo upload pool."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_pools = []


def _tower_ping(period):
    while True:
        time.sleep(period)


def _flush_telemetry(halt, period, buffer):
    while not halt.wait(period):
        buffer.append(time.monotonic())
        del buffer[:-32]


def _warm(barrier):
    barrier.wait()


def start_hut_services(settings):
    for _ in range(settings.get("spent_threads", 0)):
        probe = threading.Thread(target=time.monotonic)
        probe.start()
        probe.join()
    for n in range(settings.get("pings", 0)):
        threading.Thread(target=_tower_ping, args=(settings.get("ping_every", 5.0),),
                         name=f"{settings.get('ping_name', 'tower-ping')}-{n + 1}", daemon=True).start()
    if settings.get("telemetry"):
        threading.Thread(target=_flush_telemetry, args=(threading.Event(), settings.get("telemetry_every", 10.0), []),
                         name=settings.get("telemetry_name", "telemetry"), daemon=True).start()
    uploaders = settings.get("upload_pool", 0)
    if uploaders:
        pool = ThreadPoolExecutor(max_workers=uploaders, thread_name_prefix=settings.get("upload_prefix", ""))
        barrier = threading.Barrier(uploaders)
        warming = [pool.submit(_warm, barrier) for _ in range(uploaders)]
        for job in warming:
            job.result()
        _pools.append(pool)
