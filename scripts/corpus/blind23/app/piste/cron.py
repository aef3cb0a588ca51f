"""The `piste-cron` console script: what the resort's scheduler calls for the night and morning jobs.
Every run is timed, logged and retried once when it fails."""
from __future__ import annotations

import functools
import logging
import sys
import time

from piste.runner import main as run_main

log = logging.getLogger("piste.cron")


def scheduled(retries: int = 1, slot: str = "night"):
    """Time a scheduled run and retry it `retries` times on a crash."""
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            for attempt in range(retries + 1):
                started = time.monotonic()
                try:
                    return fn(*args, **kwargs)
                except Exception:
                    log.exception("%s run failed (attempt %d)", slot, attempt + 1)
                    if attempt == retries:
                        raise
                finally:
                    log.info("%s run took %.1fs", slot, time.monotonic() - started)
        return timed
    return wrap


@scheduled(retries=1, slot="resort-ops")
def run_scheduled(argv: list[str]) -> int:
    return run_main(argv, prog="piste-cron")


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    return run_scheduled(sys.argv[1:])
