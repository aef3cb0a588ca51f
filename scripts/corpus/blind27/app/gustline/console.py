"""gustline-ops: run one operations job (`gustline-ops JOB --mode inline|threaded|executor|asyncio --opts JSON`)."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from gustline import runner


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="gustline-ops")
    parser.add_argument("job", choices=sorted(runner.JOBS))
    parser.add_argument("--mode", default="inline", choices=runner.MODES)
    parser.add_argument("--opts", default="{}", help="job options as JSON")
    args = parser.parse_args(argv)
    return args.job, args.mode, json.loads(args.opts)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(threadName)s %(name)s %(message)s")
    job, mode, opts = parse(argv)
    runner.run(job, mode, opts)
    return 0
