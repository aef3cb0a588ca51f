"""`bagtrack-shift`: the shift supervisor's entry, which audits and retries every job it starts."""
import functools
import logging
import time

from bagtrack import cli

log = logging.getLogger("bagtrack.shift")


def audited(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            log.info("%s took %.1fs", fn.__name__, time.monotonic() - started)
    return wrapper


def retried(times):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except ConnectionError:
                    log.warning("attempt %d failed", attempt + 1)
            raise RuntimeError("gave up")
        return wrapper
    return decorate


@audited
@retried(2)
def start_job(args):
    return cli.dispatch(args)


def main(argv=None):
    return start_job(cli.parse(argv))
