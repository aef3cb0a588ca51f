"""clearwell-shift JOB ...: the shift operator's wrapper: every job is audited, and retried once on a dropped link."""
import contextlib
import functools
import json
import sys
import time

from . import agent, dispatch


@contextlib.contextmanager
def _audit_entry(label):
    started = time.time()
    try:
        yield
    finally:
        sys.stderr.write(f"audit {label}: {time.time() - started:.1f}s\n")


def audited(label):
    def wrap(fn):
        @functools.wraps(fn)
        def logged(*args, **kwargs):
            with _audit_entry(label):
                return fn(*args, **kwargs)
        return logged
    return wrap


def retry_dropped_link(fn):
    @functools.wraps(fn)
    def retried(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConnectionResetError, ConnectionAbortedError):
            return fn(*args, **kwargs)
    return retried


@audited("shift-job")
@retry_dropped_link
def shift_job(job, opts):
    return job(opts)


def main():
    args = agent.parse_args(sys.argv[1:], prog="clearwell-shift")
    dispatch.dispatch(args.job, args.mode, json.loads(args.opts), wrap=shift_job)
    return 0
