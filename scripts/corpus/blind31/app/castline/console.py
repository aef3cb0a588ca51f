"""The `castline-worker` console script: run one backend job in this process."""
from __future__ import annotations

import argparse
import json
import sys

from castline import runtime


def parse(argv, prog):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("job")
    parser.add_argument("--harness", default="inline", choices=["inline", "threaded", "executor", "asyncio"])
    parser.add_argument("--opts", default="{}")
    return parser.parse_args(argv)


def run_from_argv(argv, prog="castline-worker"):
    args = parse(argv, prog)
    return runtime.run_job(args.job, args.harness, json.loads(args.opts))


def main():
    return run_from_argv(sys.argv[1:])
