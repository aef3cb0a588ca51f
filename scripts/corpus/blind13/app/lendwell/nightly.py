"""lendwell-nightly: the cron entry; runs a worker job under the audit trail (start, end, exit status)."""
from __future__ import annotations

import os
import sys
import time

from lendwell import worker


def audited(argv) -> int:
    trail = os.path.join(os.environ.get("TMPDIR", "/tmp"), "nightly-audit.log")
    with open(trail, "a") as log:
        log.write(f"{time.time():.0f} start {' '.join(argv)}\n")
        log.flush()
        status = worker.main(argv)
        log.write(f"{time.time():.0f} end {status}\n")
    return status


def main() -> int:
    return audited(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
