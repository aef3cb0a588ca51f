"""The dispense service: cabinet dispense requests are handed to a thread pool; between requests the pool's
workers wait for work and the intake loop polls the request spool."""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from .beacon import expect, report_ready


def _dispense(request):
    return {"request": request, "drawer": hash(request) % 12}


def dispense_pool(config):
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=config.get("workers", 2), thread_name_prefix=config.get("pool_prefix", "")
                            ) as pool:
        list(pool.map(_dispense, [f"warm-{n}" for n in range(config.get("workers", 2) * 3)]))
        report_ready(expect("futex"))
        spool = os.environ.get("TMPDIR", "/tmp")
        while not stop.wait(config.get("poll_interval", 1.0)):
            for name in sorted(os.listdir(spool)):
                if name.endswith(".req"):
                    pool.submit(_dispense, name)
