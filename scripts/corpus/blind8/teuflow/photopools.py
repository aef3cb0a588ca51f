"""Photo pools: damage-inspection photos are resized in a process pool and uploaded from a thread pool; the
agent reports pool status until it is stopped."""
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

from .probe import here, report_ready


def _size_of(name):
    return len(name)


def keep_photo_pools(settings):
    resizers = multiprocessing.get_context("fork").Pool(processes=settings.get("workers", 2))
    resizers.map(_size_of, ["warm"] * 4)
    uploads = ThreadPoolExecutor(max_workers=settings.get("workers", 2),
                                 thread_name_prefix=settings.get("pool_prefix", ""))
    list(uploads.map(_size_of, ["warm"] * 4))
    stopping = threading.Event()
    report_ready(here("futex"))
    while not stopping.wait(settings.get("status_every", 5.0)):
        pass
