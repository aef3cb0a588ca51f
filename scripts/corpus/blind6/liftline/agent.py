"""liftline-agent TASK [--run-as HOW] [--settings JSON]: the console script the control tower starts."""
import argparse
import json
import sys

from . import runner, tasks


def parse(argv, prog="liftline-agent"):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("task", choices=tasks.registered())
    parser.add_argument("--run-as", default="inline", choices=sorted(runner.RUN_AS))
    parser.add_argument("--settings", default="{}")
    return parser.parse_args(argv)


def main():
    args = parse(sys.argv[1:])
    runner.run_task(args.task, args.run_as, json.loads(args.settings))
    return 0
