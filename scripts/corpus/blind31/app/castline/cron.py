"""The `castline-cron` wrapper the scheduler host runs: timing, one retry on a transient error."""
from __future__ import annotations

import functools
import logging
import sys
import time

from castline.console import parse
from castline import runtime

log = logging.getLogger("castline.cron")


def scheduled(retries=1, transient=(ConnectionResetError, BrokenPipeError)):
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            for attempt in range(retries + 1):
                started = time.monotonic()
                try:
                    return fn(*args, **kwargs)
                except transient:
                    log.warning("transient failure, attempt %d", attempt + 1)
                finally:
                    log.info("job took %.1fs", time.monotonic() - started)
            return 75
        return timed
    return wrap


@scheduled()
def run_scheduled(job, harness, opts):
    return runtime.run_job(job, harness, opts)


def main():
    import json
    args = parse(sys.argv[1:], "castline-cron")
    return run_scheduled(args.job, args.harness, json.loads(args.opts))
