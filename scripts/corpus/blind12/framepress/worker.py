"""framepress-worker: run one dispatched job (`framepress-worker JOB --mode inline|threaded|executor --opts
JSON`), with the worker's heartbeats, metrics and upload pool beside it."""
from __future__ import annotations

import argparse
import json
import sys

from .harness import HARNESSES
from .jobs import JOBS
from .runtime import JobContext
from .telemetry import start_background


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="framepress-worker", description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--mode", choices=sorted(HARNESSES), default="inline")
    parser.add_argument("--opts", default="{}", help="the dispatch's options as JSON")
    return parser.parse_args(argv)


def run_job(args: argparse.Namespace) -> int:
    ctx = JobContext(json.loads(args.opts))
    keep = start_background(ctx.opts)
    HARNESSES[args.mode](JOBS[args.job], ctx)
    del keep
    return 0


def main(argv=None) -> int:
    return run_job(parse(argv))


if __name__ == "__main__":
    sys.exit(main())
