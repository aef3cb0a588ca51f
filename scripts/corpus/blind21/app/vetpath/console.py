"""vetpath-worker: run one backend job."""
from __future__ import annotations

import argparse
import json
import logging

from . import runtime
from .jobs import JOBS

log = logging.getLogger("vetpath")


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="vetpath-worker")
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--harness", default="inline", choices=["inline", "threaded", "executor", "asyncio"])
    parser.add_argument("--config", default="{}")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    cfg = runtime.Config(json.loads(args.config))
    log.info("running %s (%s)", args.job, args.harness)
    runtime.run(JOBS[args.job], args.harness, cfg)
    return 0
