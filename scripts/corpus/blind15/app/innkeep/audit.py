"""The `innkeep-audit` console script: runs a job under the audit trail and retries it once on a transient
error (what the operations team wraps the night jobs in)."""
from __future__ import annotations

import functools
import logging
import os
import sys
import time

from innkeep import runner

log = logging.getLogger("innkeep.audit")


class TransientError(Exception):
    pass


def audited(func):
    @functools.wraps(func)
    def wrapper(job, mode, options):
        started = time.time()
        log.info("audit: job=%s mode=%s pid=%d user=%s", job, mode, os.getpid(), os.environ.get("USER", "?"))
        try:
            return func(job, mode, options)
        finally:
            log.info("audit: job=%s took %.1fs", job, time.time() - started)
    return wrapper


def retrying(attempts: int = 2, backoff: float = 5.0):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except (TransientError, ConnectionResetError) as exc:
                    if attempt == attempts:
                        raise
                    log.warning("attempt %d failed (%s); retrying in %.0fs", attempt, exc, backoff)
                    time.sleep(backoff)
        return wrapper
    return decorate


@audited
@retrying(attempts=2)
def audited_job(job, mode, options):
    return runner.run_job(job, mode, options)


def main(argv: list[str] | None = None) -> int:
    args = runner.parse_args(sys.argv[1:] if argv is None else argv, prog="innkeep-audit")
    logging.basicConfig(level=logging.INFO, format="audit %(asctime)s %(message)s")
    return audited_job(args.job, args.mode, args.options)
