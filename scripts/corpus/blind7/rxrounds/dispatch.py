"""python -m rxrounds.dispatch TASK ...: how the on-call pharmacist reruns a task by hand."""
import json
import sys

from . import console, harness


def rerun(argv):
    args = console.parse_args(argv, prog="python -m rxrounds.dispatch")
    harness.execute(args.task, args.mode, json.loads(args.config))
    return 0


if __name__ == "__main__":
    sys.exit(rerun(sys.argv[1:]))
