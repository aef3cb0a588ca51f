"""teuflow-agent JOB [--mode HOW] [--settings JSON]: the console script the terminal supervisor starts."""
import argparse
import json
import sys

from . import dispatcher, jobs


def parse(argv, prog="teuflow-agent"):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("job", choices=jobs.names())
    parser.add_argument("--mode", default="inline", choices=sorted(dispatcher.MODES))
    parser.add_argument("--settings", default="{}")
    return parser.parse_args(argv)


def main():
    args = parse(sys.argv[1:])
    dispatcher.dispatch(args.job, args.mode, json.loads(args.settings))
    return 0
