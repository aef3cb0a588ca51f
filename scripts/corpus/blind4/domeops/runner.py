"""python -m domeops.runner TASK ...: what the operators run by hand."""
import json
import sys

from . import cli, harness


def run(argv):
    args = cli.parse(argv)
    harness.run_task(args.task, args.how, json.loads(args.opts))
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
