"""framepress-batch: the nightly batch runner. The same jobs as framepress-worker, each audited (start and end
written to the farm's audit log) and retried once on a transient error."""
from __future__ import annotations

import contextlib
import logging
import sys
import time

from .worker import parse, run_job

log = logging.getLogger("framepress.batch")


@contextlib.contextmanager
def audited(job: str):
    started = time.time()
    log.info("batch job %s started", job)
    try:
        yield
    finally:
        log.info("batch job %s ended after %.1fs", job, time.time() - started)


def with_retries(fn, attempts: int = 2):
    for attempt in range(attempts):
        try:
            return fn()
        except ConnectionError:
            if attempt + 1 == attempts:
                raise
            time.sleep(1.0)
    return None


def main(argv=None) -> int:
    args = parse(argv)
    with audited(args.job):
        return with_retries(lambda: run_job(args))


if __name__ == "__main__":
    sys.exit(main())
