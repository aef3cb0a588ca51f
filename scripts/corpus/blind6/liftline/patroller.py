"""liftline-patrol TASK ...: the ski patrol's wrapper: every task is timed into the patrol log and retried once
when the mountain network drops a connection."""
import contextlib
import functools
import json
import sys
import time

from . import agent, runner


@contextlib.contextmanager
def _timed(label):
    began = time.monotonic()
    try:
        yield
    finally:
        sys.stderr.write(f"patrol {label}: {time.monotonic() - began:.1f}s\n")


def logged(label):
    def wrap(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with _timed(label):
                return fn(*args, **kwargs)
        return timed
    return wrap


def retry_on_drop(fn):
    @functools.wraps(fn)
    def again(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ConnectionResetError, BrokenPipeError):
            return fn(*args, **kwargs)
    return again


@logged("patrol-task")
@retry_on_drop
def patrol_task(task, settings):
    return task(settings)


def main():
    args = agent.parse(sys.argv[1:], prog="liftline-patrol")
    runner.run_task(args.task, args.run_as, json.loads(args.settings), decorate=patrol_task)
    return 0
