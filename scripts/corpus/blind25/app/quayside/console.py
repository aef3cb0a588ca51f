"""quayside-worker: run one terminal job."""
from __future__ import annotations

import argparse
import json

from quayside.jobs import JOBS, resolve
from quayside.runtime import run_job


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="quayside-worker")
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--harness", default="inline")
    parser.add_argument("--config", default="{}")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    return run_job(resolve(args.job), args.harness, json.loads(args.config))
