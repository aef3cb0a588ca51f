"""quaysync-agent JOB [--mode M] [--opts JSON]: run one terminal job in this process."""
import argparse
import json

from quaysync import harness


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="quaysync-agent")
    parser.add_argument("job")
    parser.add_argument("--mode", default="inline", choices=sorted(harness.MODES))
    parser.add_argument("--opts", default="{}")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    harness.run_job(args.job, args.mode, json.loads(args.opts))
    return 0
