"""The `innkeep-worker` console script."""
from __future__ import annotations

import logging
import sys

from innkeep import runner


def main(argv: list[str] | None = None) -> int:
    args = runner.parse_args(sys.argv[1:] if argv is None else argv, prog="innkeep-worker")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(threadName)s %(name)s: %(message)s")
    logging.getLogger("innkeep").info("worker starting job %s (%s)", args.job, args.mode)
    return runner.run_job(args.job, args.mode, args.options)
