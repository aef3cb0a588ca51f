"""rxrounds-agent TASK [--mode MODE] [--config JSON]: the console script the pharmacy scheduler starts."""
import argparse
import json
import sys

from . import catalog, harness


def parse_args(argv, prog="rxrounds-agent"):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("task", choices=catalog.task_names())
    parser.add_argument("--mode", default="inline", choices=sorted(harness.MODES))
    parser.add_argument("--config", default="{}")
    return parser.parse_args(argv)


def main():
    args = parse_args(sys.argv[1:])
    harness.execute(args.task, args.mode, json.loads(args.config))
    return 0
