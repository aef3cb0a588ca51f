"""python -m liftline TASK ...: what the lift mechanics run by hand in the hut."""
import json
import sys

from . import agent, runner


def run_from_shell(argv):
    args = agent.parse(argv, prog="python -m liftline")
    runner.run_task(args.task, args.run_as, json.loads(args.settings))
    return 0


if __name__ == "__main__":
    sys.exit(run_from_shell(sys.argv[1:]))
