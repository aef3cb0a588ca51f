"""quayside-cron: the scheduler wrapper (timed, with one retry on a transient error)."""
from __future__ import annotations

import functools
import json
import logging
import time

from quayside.console import parse
from quayside.jobs import resolve
from quayside.runtime import run_job

log = logging.getLogger("quayside.cron")


def scheduled(retries: int = 1):
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            for attempt in range(retries + 1):
                started = time.monotonic()
                try:
                    return fn(*args, **kwargs)
                except ConnectionError:
                    if attempt == retries:
                        raise
                finally:
                    log.info("%s took %.1fs", fn.__name__, time.monotonic() - started)
        return timed
    return wrap


@scheduled(retries=1)
def run_scheduled(job: str, harness: str, config: dict) -> int:
    return run_job(resolve(job), harness, config)


def main(argv=None) -> int:
    args = parse(argv)
    return run_scheduled(args.job, args.harness, json.loads(args.config))
