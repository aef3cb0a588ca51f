#!/usr/bin/env python3
"""Generate the seventeenth held-out corpus (fixtures/corpus_blind17/) from real hangs of farebox.

farebox (scripts/corpus/blind17/app/farebox/) is the fare & ticketing backend of a city transit agency (tap
validation and the station concentrators, the SQLite tap journal, GTFS schedule pulls and the feed export,
rider sessions in redis and the rider portal, fare capping and its nightly settlement, depot syncs over FTP and
upload lanes, TVM sales export and the asyncio TVM telemetry link, gate QR scanners through a vendor PyDLL,
transfer-window reconciliation, card refunds, reduced-fare eligibility on a process pool, fare-table
publishing), written without reading the analysis rules. Each capture runs one job for real in a fresh process
with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under /var/lib,
releases 4.3.0 and 4.4.0 (comment lines inserted), entries `farebox-worker`, `python -m farebox` and
`farebox-cron` (scheduler wrapper with a timing/retry decorator), the job inline, in a joined task thread or on
a one-slot executor (coroutine jobs under asyncio.run in that harness), heartbeats, a metrics flusher, an idle
I/O pool, spent threads, extra waiters and queued jobs. Each release's installed tree is kept under
sources/<release>/ with source_roots.txt mapping every captured install prefix. Planning, installing, running
and capturing are shared with the other application corpora (appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind17/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind17/generate.py --out /tmp/b17 --only fare-publish-flock --per-cause 1
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
    "tap-concentrator-recv-silent": Cause("tap-poll", "io-read", ("read_tap_batch", "poll_validators"),
                                          style=("framing", ("length", "line"))),
    "gtfs-urlopen-in-coroutine": Cause("gtfs-refresh", "io-read", ("fetch_feed_archive", "refresh_route_schedules")),
    "rider-session-redis-silent": Cause("session-warm", "io-read", ("load_rider_session", "warm_rider_sessions"),
                                        min_python=(3, 11)),
    "depot-ftp-no-banner": Cause("depot-logs", "io-read", ("open_depot_ftp", "push_tvm_logs")),
    "tvm-telemetry-loop-blocked": Cause("tvm-coin-audit", "io-read", ("read_tvm_frame", "poll_tvm_status")),
    "cap-ledger-account-lock-order": Cause("cap-settle", "deadlock",
                                           ("credit_balance", "transfer_cap_progress", "record_fare", "merge_accounts")),
    "transfer-barrier-suspended-route": Cause("transfer-reconcile", "condition-wait", ("settle_route_shard",)),
    "refund-slots-leaked-on-decline": Cause("refund-batch", "lock-wait", ("issue_refund",)),
    "tap-journal-sqlite-compactor": Cause("tap-journal", "lock-wait", ("append_tap_journal", "compact_journal")),
    "tvm-outbox-full-shipper-died": Cause("tvm-export", "queue-wait", ("enqueue_sale", "export_bank")),
    "depot-lanes-stop-no-sentinel": Cause("depot-manifests", "join-wait", ("drain_and_stop_uploaders",)),
    "gtfs-export-validator-flock": Cause("gtfs-export", "subprocess-wait", ("validate_feed_export",)),
    "eligibility-pool-worker-oom": Cause("eligibility-batch", "pool-wait", ("verify_eligibility_batch",)),
    "fare-publish-flock": Cause("fare-publish", "flock", ("publish_fare_table",)),
    "qr-scanner-pydll-read": Cause("qr-gate", "gil", ("scan_qr_ticket", "validate_qr_tickets")),
    "cap-reset-zero-period": Cause("cap-windows", "busy", ("next_cap_reset", "apply_cap_windows")),
    "healthy-tap-concentrator-selectors": Cause("tap-concentrator", "idle"),
    "healthy-rider-portal-asyncio": Cause("rider-portal", "idle"),
    "healthy-depot-scheduler": Cause("depot-scheduler", "idle"),
    "healthy-refund-consumers": Cause("refund-service", "idle"),
    "healthy-fare-quote-pool": Cause("fare-quotes", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 3, 6, 13]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["heartbeat", "fleet-presence", "lease", "watchdog-kick"]),
        "beat_every": rng.choice([0.5, 5.0, 30.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "prom-push", "statsd", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 15.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 4]),
        "io_prefix": rng.choice(["", "fare-io", "blob-upload"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 180),
        "pool_prefix": rng.choice(["", "lane", "depot-upload"]),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 50)}", "nightly"]),
        "task_prefix": rng.choice(["", "jobs", "farebox-job"]),
        "poll_interval": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([60.0, 300.0, 900.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/farebox/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/transit/farebox-{release_underscored}-cp{py}", "app"),
    "venv": ("var/lib/farebox/venvs/fb-{release}-py{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind17",
    package=Package(HERE / "app" / "farebox", releases={"4.3.0": 0, "4.4.0": 23},  # 4.4.0: comment lines
                    scripts={"farebox-worker": "farebox.console", "farebox-cron": "farebox.cron"},
                    layout=LAYOUT, source_version="4.3.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "executor": 2}, entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "farebox-worker", "runpy": "-m farebox", "cron": "farebox-cron"},
    flags=("--harness", "--config"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
