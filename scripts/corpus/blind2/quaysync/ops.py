"""quaysync-ops JOB ...: the on-call wrapper: retries, timing and an audit line around each job."""
import functools
import json
import sys
import time

from quaysync import cli, harness


def retrying(attempts):
    def decorate(fn):
        @functools.wraps(fn)
        def attempt(*args, **kwargs):
            for n in range(attempts):
                try:
                    return fn(*args, **kwargs)
                except ConnectionError:
                    if n == attempts - 1:
                        raise
        return attempt
    return decorate


def timed(fn):
    @functools.wraps(fn)
    def clocked(*args, **kwargs):
        started = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            sys.stderr.write("job took %.1fs\n" % (time.monotonic() - started))
    return clocked


@timed
@retrying(3)
def guarded(job, opts):
    return job(opts)


def main():
    args = cli.parse(sys.argv[1:])
    harness.run_job(args.job, args.mode, json.loads(args.opts), wrap=guarded)
    return 0
