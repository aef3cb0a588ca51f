"""`python -m farebox.feedcheck DIR`: validate a GTFS export (run by the exporter, or by hand)."""
import fcntl
import sys
from pathlib import Path


def check(export):
    with open(export / ".publish.lock", "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # a consistent snapshot: wait for any running export
        missing = [n for n in ("agency.txt", "routes.txt", "trips.txt") if not (export / n).exists()]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(check(Path(sys.argv[1])))
