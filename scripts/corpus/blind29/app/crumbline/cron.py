"""The `crumbline-cron` wrapper the bakery scheduler (cron / systemd timers) calls: every job goes through
@scheduled, which times the run, retries a transient failure and reports to the shift log."""
import functools
import logging
import sys
import time

from crumbline.runner import run_from_argv

log = logging.getLogger("crumbline.cron")


def scheduled(retries=1, backoff=2.0):
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
                    log.warning("transient failure, retry in %.1fs", backoff)
                    time.sleep(backoff)
                finally:
                    log.info("job took %.1fs", time.monotonic() - started)
        return timed
    return wrap


@scheduled(retries=1)
def dispatch(argv):
    return run_from_argv(argv, entry="cron")


def main():
    logging.basicConfig(level=logging.WARNING)
    return dispatch(sys.argv[1:])
