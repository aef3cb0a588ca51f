"""gustline-cron: the scheduler's wrapper around a job (timing, overlap guard, one retry on transient errors)."""
from __future__ import annotations

import functools
import logging
import os
import sys
import time

from gustline import console, runner

log = logging.getLogger("gustline.cron")


class TransientJobError(RuntimeError):
    pass


def scheduled(slot: str, retries: int = 1):
    """Run the wrapped job as scheduler slot `slot`: log its start and duration, retry transient failures."""
    def decorate(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            started = time.monotonic()
            log.info("slot %s starting (pid %d)", slot, os.getpid())
            for attempt in range(retries + 1):
                try:
                    return fn(*args, **kwargs)
                except TransientJobError:
                    log.warning("slot %s attempt %d failed, retrying", slot, attempt + 1)
                    time.sleep(2 ** attempt)
                finally:
                    log.info("slot %s ran %.1fs", slot, time.monotonic() - started)
            return None
        return timed
    return decorate


@scheduled("ops-window")
def run_scheduled(job: str, mode: str, opts: dict) -> None:
    runner.run(job, mode, opts)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    job, mode, opts = console.parse(argv)
    run_scheduled(job, mode, opts)
    return 0
