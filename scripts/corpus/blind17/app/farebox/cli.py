"""Command line of the backend jobs (shared by the console script, `python -m farebox` and the cron wrapper)."""
from __future__ import annotations

import argparse
import json

from farebox import runtime
from farebox.jobs import JOBS


def parse(argv, prog):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--harness", default="inline", choices=["inline", "threaded", "executor"])
    parser.add_argument("--config", default="{}", help="job configuration (JSON)")
    args = parser.parse_args(argv)
    return args.job, args.harness, json.loads(args.config)


def dispatch(argv, prog="farebox-worker"):
    job, harness, config = parse(argv, prog)
    return runtime.run_job(JOBS[job], harness, config)
