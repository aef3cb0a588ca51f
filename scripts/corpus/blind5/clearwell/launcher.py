"""python -m clearwell.launcher JOB ...: what the operators run by hand from the control-room shell."""
import json
import sys

from . import agent, dispatch


def launch(argv):
    args = agent.parse_args(argv, prog="python -m clearwell.launcher")
    dispatch.dispatch(args.job, args.mode, json.loads(args.opts))
    return 0


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1:]))
