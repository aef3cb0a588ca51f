"""lendwell-worker: runs one lendwell job (or service) in this process, as the scheduler asks."""
from __future__ import annotations

import argparse
import json
import sys

from lendwell import runtime
from lendwell.jobs import JOBS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="lendwell-worker")
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--harness", default="inline", choices=["inline", "threaded", "supervised", "executor"])
    parser.add_argument("--settings", default="{}", help="the job's settings (JSON)")
    args = parser.parse_args(argv)
    return runtime.run(JOBS[args.job], args.harness, json.loads(args.settings))


if __name__ == "__main__":
    sys.exit(main())
