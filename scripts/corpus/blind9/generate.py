#!/usr/bin/env python3
"""Generate the ninth held-out corpus (fixtures/corpus_blind9/) from real hangs of bagtrack.

bagtrack (scripts/corpus/blind9/bagtrack/) runs an airport's baggage-handling and flight-turnaround jobs
(conveyor sorter and chutes, belt scales, the BHS PLC, flight info, bag events on redis, load sheets, tag
printers, weight and balance, reclaim carousels, pushback clearance, manifests, pier workers, route solver),
written without reading the analysis rules. Each capture runs one job for real in a fresh process, with the
variation of a fleet: CPython 3.9 .. 3.13 (redis-py job on 3.11+), install roots under /opt, /srv, a
virtualenv under /var/lib, /home and /data, releases 4.2.0 and 4.3.0 (the same code with comment lines
inserted), three entries (`bagtrack-run`, `python -m bagtrack`, `bagtrack-shift` with its decorators), five
harnesses (inline, threaded, signalled, supervised, pooled), heartbeats, a metrics flusher, an idle upload pool,
spent threads, queued lock waiters and extra waiters. About 30% are captured with --native.

Each release's installed tree is kept under sources/<release>/ with source_roots.txt mapping every captured
install prefix. Planning, installing, running and capturing are shared with the other application corpora
(appcorpus.py, variants.py, installs.py); this file has what is bagtrack's own.

    .venv/bin/python scripts/corpus/blind9/generate.py --per-cause 1 --out /tmp/b9 --only tag-printer-flock
    .venv/bin/python scripts/corpus/blind9/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parent)]

from appcorpus import App, main
from installs import Package
from variants import Cause, Fleet

CAUSES: dict[str, Cause] = {
    "sorter-chute-lock-order": Cause("conveyor-merge", "deadlock",
                                     ("reserve_chute", "reroute_bags", "divert_bag", "close_chute")),
    "belt-scale-driver-holds-gil": Cause("scale-calibrate", "gil", ("read_scale_tare",)),
    "bhs-plc-recv": Cause("bhs-plc-poll", "io-read", ("read_frame",)),
    "flight-info-urlopen": Cause("flight-info-sync", "io-read", ("fetch_schedule",)),
    "bag-event-redis-silent": Cause("bag-event-publish", "io-read", ("publish_bag_event",), min_python=(3, 11)),
    "loadsheet-connect-backlog": Cause("loadsheet-upload", "io-read", ("open_loadsheet_channel",)),
    "tag-printer-flock": Cause("tag-print-spool", "flock", ("claim_printer",)),
    "balance-solver-never-exits": Cause("weight-balance", "subprocess-wait", ("run_balance_solver",)),
    "carousel-feeder-died": Cause("carousel-feed", "queue-wait", ("next_bag_on_belt",)),
    "pushback-clearance-never-set": Cause("pushback-clearance", "condition-wait", ("await_pushback_clearance",)),
    "manifest-pool-hung": Cause("manifest-reconcile", "pool-wait", ("reconcile_manifests",)),
    "fids-feed-readline-join": Cause("fids-rollover", "io-read", ("read_feed_line",)),
    "route-solver-oscillates": Cause("route-solver", "busy", ("route_step", "solve_routes")),
    "pier-stats-lock-after-fork": Cause("pier-worker-fork", "lock-wait", ("record_pier_stats",)),
    "healthy-intake-listener": Cause("intake-listener", "idle", ()),
    "healthy-turnaround-desk": Cause("turnaround-desk", "idle", ()),
    "healthy-stand-supervisor": Cause("stand-supervisor", "idle", ()),
    "healthy-loader-pool": Cause("loader-pool", "idle", ()),
    "healthy-dispatch-loop": Cause("dispatch-loop", "idle", ()),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 4, 9, 17]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["heartbeat", "bhs-hb", "link-alive", "hb"]),
        "heartbeat_every": rng.choice([0.5, 3.0, 30.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["metrics", "statsd", "prom-push", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3]),
        "upload_prefix": rng.choice(["", "bsm-upload", "ThreadPoolExecutor-3"]),
        "queued": rng.randint(0, 3),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 60),
        "pool_prefix": rng.choice(["", "loader", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "ramp-job", f"Thread-{rng.randint(1, 70)}"]),
        "job_prefix": rng.choice(["", "jobs", "ramp"]),
        "supervise_every": rng.choice([0.5, 1.0, 3.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it)
    "opt": ("opt/bagtrack/bagtrack-{release}-py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/airport/bhs/bagtrack_{release_underscored}_cp{py}", "app"),
    "venv": ("var/lib/bagtrack/venv/ramp-{release}-{py}", "lib/python{python}/site-packages"),
    "home": ("home/groundops/releases/bagtrack-{release}-py{python}", "lib/python{python}/site-packages"),
    "data": ("data/ops-share/bagtrack/{release}/py{py}", "lib"),
}

APP = App(
    corpus="corpus_blind9",
    package=Package(HERE / "bagtrack", releases={"4.2.0": 0, "4.3.0": 17},  # 4.3.0: comment/blank lines inserted
                    scripts={"bagtrack-run": "bagtrack.cli", "bagtrack-shift": "bagtrack.shiftdesk"},
                    layout=LAYOUT, shift_stride=97),
    causes=CAUSES,
    # healthy services run as a service runs: in the main thread or a thread the main thread joins
    fleet=Fleet(harnesses={"inline": 4, "threaded": 2, "signalled": 1, "supervised": 1, "pooled": 1},
                entries={"console-script": 4, "runpy": 3, "shift": 2},
                root_kinds={"opt": 25, "srv": 20, "venv": 25, "home": 15, "data": 15},
                idle_harnesses={"inline": 2, "threaded": 1}, noise_last=True),
    noise=noise,
    commands={"console-script": "bagtrack-run", "runpy": "-m bagtrack", "shift": "bagtrack-shift"},
    flags=("--harness", "--knobs"),
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
