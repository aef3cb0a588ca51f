"""The aquaduct-ops command line: run one operations job."""
from __future__ import annotations

import argparse
import json
import logging

from aquaduct import runtime
from aquaduct.jobs import JOBS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="aquaduct-ops", description="run one aquaduct operations job")
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--harness", default="inline", choices=runtime.HARNESSES)
    parser.add_argument("--config", default="{}", help="the job's settings as JSON")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(threadName)s %(name)s: %(message)s")
    config = json.loads(args.config)
    runtime.run(JOBS[args.job], args.harness, config)
    return 0
