#!/usr/bin/env python3
"""Semaphore exhaustion: a BoundedSemaphore's slots leak on an error path, then every fetch waits.

RateLimiter guards an upstream with ``BoundedSemaphore(2)``. fetch_page() acquires a slot and
returns early on a bad page without releasing it; after two bad pages no slot is left. The
pool tasks (``ThreadPoolExecutor-12_N``) wait in ``with self._slots:``; the main thread waits
in ``Future.result()`` with no timeout.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class RateLimiter:
    def __init__(self, slots):
        self._slots = threading.BoundedSemaphore(slots)

    def fetch_page(self, url):
        self._slots.acquire()
        if url.endswith("/bad"):
            return None  # bug: the slot is never released
        try:
            return url.upper()
        finally:
            self._slots.release()

    def fetch_all(self, urls):
        out = []
        for url in urls:
            with self._slots:  # blocks: no slot left
                out.append(url)
        return out


def crawl(limiter, pool):
    limiter.fetch_page("http://a/bad")
    limiter.fetch_page("http://b/bad")
    futures = [pool.submit(limiter.fetch_all, [f"http://c/{i}"]) for i in range(3)]
    return [f.result() for f in futures]


def main():
    app.boot("rate_limited_fetch", __doc__.splitlines()[0])
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix=f"ThreadPoolExecutor-12{app.fx.SUFFIX}")
    limiter = RateLimiter(2)
    done = threading.Event()

    def report_when_blocked():
        while sum(1 for t in threading.enumerate() if t.name.startswith(pool._thread_name_prefix)) < 3:
            done.wait(0.01)
        done.wait(0.2)
        for t in threading.enumerate():
            if t.name.startswith(pool._thread_name_prefix):
                app.record(t, "lock")
        app.ready(semaphore="RateLimiter._slots")

    threading.Thread(target=report_when_blocked, daemon=True).start()
    app.EXPECT["MainThread"] = "pool-wait"
    crawl(limiter, pool)


if __name__ == "__main__":
    main()
