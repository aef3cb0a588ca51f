"""aquaduct-cron: the scheduler's wrapper around a job (timing, retries on transient failures)."""
from __future__ import annotations

import functools
import json
import logging
import time

from aquaduct import runtime
from aquaduct.console import parse_args
from aquaduct.jobs import JOBS

log = logging.getLogger("aquaduct.cron")


class TransientFailure(Exception):
    """A failure worth retrying at the next slot (an upstream restart, a lock timeout)."""


def scheduled(retries: int = 2, backoff: float = 5.0):
    """Time the wrapped job and retry it `retries` times on TransientFailure."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(retries + 1):
                started = time.monotonic()
                try:
                    return fn(*args, **kwargs)
                except TransientFailure:
                    log.warning("attempt %d failed, retrying in %.0fs", attempt + 1, backoff)
                    time.sleep(backoff)
                finally:
                    log.info("%s took %.1fs", fn.__name__, time.monotonic() - started)
            raise TransientFailure(f"{fn.__name__}: {retries + 1} attempts failed")
        return wrapper
    return decorate


@scheduled(retries=2)
def run_scheduled(job: str, harness: str, config: dict) -> None:
    runtime.run(JOBS[job], harness, config)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    run_scheduled(args.job, args.harness, json.loads(args.config))
    return 0
