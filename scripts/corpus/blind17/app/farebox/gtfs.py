"""Route schedules: the GTFS static feeds of the agency and its partner operators, and the feed export the
trip planner picks up (validated by farebox.feedcheck before it is published)."""
from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

PARTNERS = ("metro", "tram", "ferry", "regional-rail")


def fetch_feed_archive(url):
    with urllib.request.urlopen(url) as response:
        return response.read()


async def publish_vehicle_positions(job):
    while True:
        await asyncio.sleep(job.get("poll_interval", 1.0))


async def refresh_route_schedules(job):
    """Pull every partner's GTFS zip and rebuild the stop-times index."""
    positions = asyncio.ensure_future(publish_vehicle_positions(job))
    await asyncio.sleep(0)
    base = f"http://127.0.0.1:{job.get('port')}/gtfs"
    job.expect()
    job.waiting("recv")
    archives = {}
    for partner in PARTNERS[: job.get("workers", 2)]:
        archives[partner] = fetch_feed_archive(f"{base}/{partner}/google_transit.zip")
    positions.cancel()
    return 0 if archives else 1


def write_feed_files(export):
    for name in ("agency.txt", "routes.txt", "trips.txt", "stop_times.txt", "fare_rules.txt"):
        (export / name).write_text("id\n")


def validate_feed_export(job):
    """Write the feed for the trip planner and run the validator on it before publishing."""
    export = Path(os.environ.get("TMPDIR", "/tmp")) / "gtfs-export"
    export.mkdir(exist_ok=True)
    with open(export / ".publish.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # no other publisher while the files are written
        write_feed_files(export)
        job.expect()
        job.waiting("wait4")
        subprocess.run([sys.executable, "-m", "farebox.feedcheck", str(export)], check=True)
    return 0
