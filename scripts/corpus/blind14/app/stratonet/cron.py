"""stratonet-cron: the nightly entry, a job under the audit and retry wrappers of the scheduler host."""
from __future__ import annotations

import sys
import time

from stratonet import fleet, station_cli


def audited(name: str, mode: str, opts: dict) -> object:
    started = time.monotonic()
    try:
        return station_cli.run_job(name, mode, opts)
    finally:
        sys.stderr.write(f"audit {name} {time.monotonic() - started:.1f}s\n")


def with_retries(name: str, mode: str, opts: dict, attempts: int = 3) -> object:
    for attempt in range(attempts):
        try:
            return audited(name, mode, opts)
        except OSError as exc:
            sys.stderr.write(f"retry {attempt + 1}: {exc}\n")
    return None


def main(argv: list[str] | None = None) -> int:
    import json

    args = station_cli.parse(argv)
    opts = json.loads(args.opts)
    fleet.start(opts)
    with_retries(args.job, args.mode, opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
