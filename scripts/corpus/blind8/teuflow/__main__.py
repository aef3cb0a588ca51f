"""python -m teuflow JOB ...: what the shift engineers run by hand from the control room."""
import json
import sys

from . import console, dispatcher


def run_by_hand(argv):
    args = console.parse(argv, prog="python -m teuflow")
    dispatcher.dispatch(args.job, args.mode, json.loads(args.settings))
    return 0


if __name__ == "__main__":
    sys.exit(run_by_hand(sys.argv[1:]))
