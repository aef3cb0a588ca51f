"""The `crumbline-worker` console script: runs one job of the production backend."""
import logging
import sys

from crumbline.runner import run_from_argv

log = logging.getLogger("crumbline.worker")


def main(argv=None):
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return run_from_argv(sys.argv[1:] if argv is None else argv, entry="worker")
