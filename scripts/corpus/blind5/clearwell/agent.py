"""clearwell-agent JOB [--mode MODE] [--opts JSON]: the console script the plant scheduler starts."""
import argparse
import json
import sys

from . import dispatch, jobs


def parse_args(argv, prog="clearwell-agent"):
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("job", choices=jobs.names())
    parser.add_argument("--mode", default="inline", choices=sorted(dispatch.MODES))
    parser.add_argument("--opts", default="{}")
    return parser.parse_args(argv)


def main():
    args = parse_args(sys.argv[1:])
    dispatch.dispatch(args.job, args.mode, json.loads(args.opts))
    return 0
