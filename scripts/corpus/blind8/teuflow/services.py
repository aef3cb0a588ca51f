"""What runs in every teuflow agent beside its job: PLC keepalives, the KPI flusher, the photo-upload pool."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_kept = []


def _plc_keepalive(every):
    while True:
        time.sleep(every)


def _flush_kpis(stop, every, samples):
    while not stop.wait(every):
        samples.append(time.monotonic())
        del samples[:-64]


def _ready(barrier):
    barrier.wait()


def start_services(settings):
    for _ in range(settings.get("spent_threads", 0)):
        t = threading.Thread(target=time.monotonic)
        t.start()
        t.join()
    for n in range(settings.get("keepalives", 0)):
        threading.Thread(target=_plc_keepalive, args=(settings.get("keepalive_every", 5.0),),
                         name=f"{settings.get('keepalive_name', 'plc-keepalive')}-{n}", daemon=True).start()
    if settings.get("kpis"):
        threading.Thread(target=_flush_kpis, args=(threading.Event(), settings.get("kpi_every", 10.0), []),
                         name=settings.get("kpi_name", "kpi-flush"), daemon=True).start()
    uploaders = settings.get("photo_pool", 0)
    if uploaders:
        pool = ThreadPoolExecutor(max_workers=uploaders, thread_name_prefix=settings.get("photo_prefix", ""))
        barrier = threading.Barrier(uploaders)
        for job in [pool.submit(_ready, barrier) for _ in range(uploaders)]:
            job.result()
        _kept.append(pool)
