#!/usr/bin/env python3
"""time.sleep(3600) in a retry loop: the backoff grows to an hour after a few failures.

The main thread runs sync_forever() -> call_with_retry() -> ``time.sleep(backoff)``.
"""
import time

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


def flaky_upstream():
    raise TimeoutError("upstream timed out")


def call_with_retry(fn, attempts=10):
    backoff = 900
    for _ in range(attempts):
        try:
            return fn()
        except TimeoutError:
            backoff = min(backoff * 2, 3600)
            time.sleep(backoff)  # an hour between attempts
    raise RuntimeError("gave up")


def sync_forever():
    while True:
        call_with_retry(flaky_upstream)


def main():
    app.boot("retry_sleep", __doc__.splitlines()[0])
    app.EXPECT["MainThread"] = "sleep"
    app.ready()
    sync_forever()


if __name__ == "__main__":
    main()
