"""teuflow-shift JOB ...: the night shift's wrapper: every job is written to the shift audit trail and retried
once when the terminal LAN resets a connection."""
import contextlib
import functools
import json
import sys
import time

from . import console, dispatcher


@contextlib.contextmanager
def _audited(label):
    started = time.monotonic()
    try:
        yield
    finally:
        sys.stderr.write(f"shift-audit {label}: {time.monotonic() - started:.1f}s\n")


def audit(label):
    def decorate(fn):
        @functools.wraps(fn)
        def audited(*args, **kwargs):
            with _audited(label):
                return fn(*args, **kwargs)
        return audited
    return decorate


def retry_on_reset(fn):
    @functools.wraps(fn)
    def retried(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConnectionResetError, BrokenPipeError):
            return fn(*args, **kwargs)
    return retried


@audit("night-job")
@retry_on_reset
def shift_job(job, settings):
    return job(settings)


def main():
    args = console.parse(sys.argv[1:], prog="teuflow-shift")
    dispatcher.dispatch(args.job, args.mode, json.loads(args.settings), wrap=shift_job)
    return 0
