"""helixrun-batch: the nightly batch entry; each task runs under the audit trail and the retry policy."""
from __future__ import annotations

import functools
import logging
import time

from . import worker

log = logging.getLogger("helixrun.batch")


def audited(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.time()
        try:
            return fn(*args, **kwargs)
        finally:
            log.info("task finished in %.1fs", time.time() - started)
    return wrapper


def with_retries(fn, attempts: int = 2):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(attempts):
            try:
                return fn(*args, **kwargs)
            except OSError:
                if attempt == attempts - 1:
                    raise
        return None
    return wrapper


def main(argv=None) -> int:
    args = worker.parse(argv)
    import json
    with_retries(audited(worker.run_task))(args.task, args.mode, json.loads(args.opts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
