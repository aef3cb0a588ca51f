"""meterflow-cron: the scheduled entry; every task runs under the audit and retry wrappers."""
import functools

from meterflow import fleet, worker


def audited(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def retried(times):
    def wrap(fn):
        @functools.wraps(fn)
        def attempt(*args, **kwargs):
            for n in range(times):
                try:
                    return fn(*args, **kwargs)
                except ConnectionError:
                    if n == times - 1:
                        raise
        return attempt
    return wrap


@audited
@retried(3)
def scheduled(name, mode, opts):
    worker.run_task(name, mode, opts)


def main(argv=None):
    name, mode, opts = worker.parse(argv)
    fleet.start_background(opts)
    scheduled(name, mode, opts)
    return 0
