"""python -m quaysync.runner JOB ...: the deploy tooling's way to run a job without console scripts."""
import sys

from quaysync import cli


def _launch(argv):
    return cli.main(argv)


def main():
    return _launch(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
