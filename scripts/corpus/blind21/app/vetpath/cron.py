"""vetpath-cron: the scheduler's wrapper (timing, retries on transient errors, a run record)."""
from __future__ import annotations

import functools
import json
import logging
import time

from . import runtime
from .console import parse
from .jobs import JOBS

log = logging.getLogger("vetpath.cron")


def scheduled(retries: int = 2, backoff: float = 5.0):
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            for attempt in range(retries + 1):
                started = time.monotonic()
                try:
                    return fn(*args, **kwargs)
                except (ConnectionError, TimeoutError) as exc:
                    log.warning("attempt %d failed: %s", attempt + 1, exc)
                    time.sleep(backoff)
                finally:
                    log.info("run took %.1fs", time.monotonic() - started)
            return None
        return timed
    return wrap


@scheduled(retries=2)
def run_scheduled(job: str, harness: str, cfg: runtime.Config):
    return runtime.run(JOBS[job], harness, cfg)


def main(argv=None) -> int:
    args = parse(argv)
    run_scheduled(args.job, args.harness, runtime.Config(json.loads(args.config)))
    return 0
