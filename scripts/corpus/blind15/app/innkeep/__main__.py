"""`python -m innkeep JOB --mode MODE --opts JSON`: what the property's cron entries run."""
import sys

from innkeep import runner


def _main() -> int:
    args = runner.parse_args(sys.argv[1:], prog="python -m innkeep")
    return runner.run_job(args.job, args.mode, args.options)


if __name__ == "__main__":
    sys.exit(_main())
