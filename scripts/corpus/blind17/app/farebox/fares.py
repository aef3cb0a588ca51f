"""Fare tables: the zone fare matrix is rebuilt and published to the validators' config share, one publisher
at a time (the lock file on the share)."""
from __future__ import annotations

import fcntl
import json
import os


def build_fare_matrix(zones):
    return {f"{a}-{b}": 250 + 60 * abs(a - b) for a in range(1, zones + 1) for b in range(1, zones + 1)}


def publish_fare_table(job, table):
    with open(job.get("lock_path"), "a") as lock:
        job.waiting("flock")
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        target = os.path.join(os.environ.get("TMPDIR", "/tmp"), "fares.json")
        with open(target + ".new", "w") as out:
            json.dump(table, out)
        os.replace(target + ".new", target)


def publish_fares(job):
    job.expect()
    publish_fare_table(job, build_fare_matrix(job.get("rows", 3) + 3))
    return 0
