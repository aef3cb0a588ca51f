"""domeops-night TASK [--how HOW] [--opts JSON]: the console script the night scheduler starts."""
import argparse
import json
import sys

from . import harness, tasks


def parse(argv):
    p = argparse.ArgumentParser(prog="domeops-night")
    p.add_argument("task", choices=tasks.names())
    p.add_argument("--how", default="inline", choices=sorted(harness.HARNESSES))
    p.add_argument("--opts", default="{}")
    return p.parse_args(argv)


def main():
    args = parse(sys.argv[1:])
    harness.run_task(args.task, args.how, json.loads(args.opts))
    return 0
