"""rxrounds-ward TASK ...: the ward terminal's wrapper: every task is audited (who ran it, how long) and retried
once when the ward network drops a connection."""
import contextlib
import functools
import json
import sys
import time

from . import console, harness


@contextlib.contextmanager
def _audit_span(label):
    started = time.monotonic()
    try:
        yield
    finally:
        sys.stderr.write(f"audit {label}: {time.monotonic() - started:.1f}s\n")


def audited(label):
    def decorate(fn):
        @functools.wraps(fn)
        def in_span(*args, **kwargs):
            with _audit_span(label):
                return fn(*args, **kwargs)
        return in_span
    return decorate


def retry_dropped(fn):
    @functools.wraps(fn)
    def once_more(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConnectionResetError, BrokenPipeError):
            return fn(*args, **kwargs)
    return once_more


@audited("ward-task")
@retry_dropped
def ward_task(task, config):
    return task(config)


def main():
    args = console.parse_args(sys.argv[1:], prog="rxrounds-ward")
    harness.execute(args.task, args.mode, json.loads(args.config), wrap=ward_task)
    return 0
