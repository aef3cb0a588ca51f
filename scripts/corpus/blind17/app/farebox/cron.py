"""Entry point of `farebox-cron`: what the scheduler host runs (timing, one retry on a transient error)."""
from __future__ import annotations

import functools
import logging
import sys
import time

from farebox import cli, runtime
from farebox.jobs import JOBS

log = logging.getLogger("farebox.cron")


class TransientError(Exception):
    pass


def scheduled(retries=1):
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            for attempt in range(retries + 1):
                started = time.monotonic()
                try:
                    return fn(*args, **kwargs)
                except TransientError:
                    log.warning("attempt %d failed, retrying", attempt + 1)
                finally:
                    log.info("ran in %.1fs", time.monotonic() - started)
            return 75
        return timed
    return wrap


@scheduled(retries=1)
def run_scheduled(job, harness, config):
    return runtime.run_job(JOBS[job], harness, config)


def main():
    job, harness, config = cli.parse(sys.argv[1:], "farebox-cron")
    return run_scheduled(job, harness, config)
