"""domeops-ctl TASK ...: the on-call wrapper, with a retry on link errors and the task's wall time logged."""
import functools
import json
import sys
import time

from . import cli, harness


def with_link_retries(times):
    def wrap(fn):
        @functools.wraps(fn)
        def retried(*args, **kwargs):
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except (ConnectionResetError, BrokenPipeError):
                    if attempt == times - 1:
                        raise
        return retried
    return wrap


def wall_time(fn):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        t0 = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            sys.stderr.write(f"{fn.__name__}: {time.monotonic() - t0:.1f}s\n")
    return timed


@wall_time
@with_link_retries(2)
def supervised_call(task, opts):
    return task(opts)


def main():
    args = cli.parse(sys.argv[1:])
    harness.run_task(args.task, args.how, json.loads(args.opts), around=supervised_call)
    return 0
