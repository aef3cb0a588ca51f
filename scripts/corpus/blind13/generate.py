#!/usr/bin/env python3
"""Generate the thirteenth held-out corpus (fixtures/corpus_blind13/) from real hangs of lendwell.

lendwell (scripts/corpus/blind13/app/lendwell/) is the circulation back office of a public library consortium
(desk checkouts and the hold shelf, SIP2 self-check kiosks, interlibrary loan over HTTP, hold notices on Redis,
the catalogue index and record cache, MARC import and export, RFID security gates, fines, shelf inventory, the
returns sorter, branch closing days), written without reading the analysis rules. Each capture runs one job
for real in a fresh process with a fleet's variation: CPython 3.9-3.13 (the Redis job on 3.11+), install roots
under /opt, /srv, /home and a virtualenv under /var/lib, releases 2.3.0 and 2.4.1 (comment lines inserted),
entries `lendwell-worker`, `python -m lendwell.worker` and `lendwell-nightly` (an audit wrapper), the job
inline, in a task thread (joined, or supervised with timed joins) or on a one-slot executor, heartbeats, a
metrics flusher, an idle upload pool, spent threads, extra waiters and queued work. Each release's installed
tree is kept under sources/<release>/ with source_roots.txt mapping every captured install prefix.

    .venv/bin/python scripts/corpus/blind13/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind13/generate.py --out /tmp/b13 --only catalog-index-flock --per-cause 1
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
    "desk-hold-lock-order": Cause("desk-checkout", "deadlock", ("charge_loan", "fill_hold"),
                                  ("lock_style", ("lock", "rlock"))),
    "sip2-gateway-silent": Cause("kiosk-status", "io-read", ("read_sip_response",)),
    "ill-broker-silent": Cause("ill-submit", "io-read", ("post_ill_request",), ("http_client", ("urllib", "http"))),
    "hold-notice-redis-silent": Cause("hold-notices", "io-read", ("publish_hold_ready",), min_python=(3, 11)),
    "catalog-index-flock": Cause("reindex", "flock", ("lock_catalog_index",)),
    "catalog-cache-lock-leaked": Cause("refresh-catalog", "lock-wait", ("refresh_catalog_cache",)),
    "marc-subfield-regex-gil": Cause("marc-import", "gil", ("validate_marc_subfields",)),
    "gate-reader-pydll-gil": Cause("gate-watch", "gil", ("poll_gate_antenna",)),
    "marc-convert-stdin-open": Cause("marc-export", "subprocess-wait", ("convert_marc_batch",)),
    "fine-rate-futures-stuck": Cause("fine-totals", "pool-wait", ("collect_fine_totals", "fetch_fine_rate")),
    "fine-recalc-closed-day-spin": Cause("fine-recalc", "busy", ("recalculate_fines",)),
    "inventory-cradles-join": Cause("inventory", "join-wait", ("finish_inventory_scan", "scan_shelf_range")),
    "returns-sorter-queue-empty": Cause("check-in", "queue-wait", ("next_sorted_return",)),
    "closing-calendar-never-signalled": Cause("due-dates", "condition-wait", ("await_closing_calendar",),
                                              ("wait_style", ("event", "condition"))),
    "healthy-circulation-pool": Cause("circ-pool", "idle"),
    "healthy-sip2-gateway-selector": Cause("sip-gateway", "idle"),
    "healthy-opac-asyncio": Cause("opac", "idle"),
    "healthy-housekeeping-stop-wait": Cause("housekeeping", "idle"),
    "healthy-notice-queue-consumer": Cause("notice-queue", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 2, 5, 11]),
        "heartbeats": rng.choice([0, 1, 1, 2]),
        "beat_name": rng.choice(["heartbeat", "lendwell-hb", "keepalive", f"Thread-{rng.randint(2, 20)}"]),
        "beat_every": rng.choice([1.0, 5.0, 30.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics-flush", "statsd", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([2.0, 15.0, 60.0]),
        "uploaders": rng.choice([0, 0, 1, 3]),
        "upload_prefix": rng.choice(["", "cover-upload", "s3"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 4),
        "lanes": rng.randint(1, 3),
        "listeners": rng.randint(1, 3),
        "workers": rng.randint(2, 5),
        "patron": rng.randint(1, 250000),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 60)}", "circ-task"]),
        "task_prefix": rng.choice(["", "jobs", "lendwell-slot"]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/lendwell/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/library/lendwell-{release_nodots}-cp{py}", "lib"),
    "home": ("home/ils/apps/lendwell-{release_underscored}-py{py}", "site"),
    "venv": ("var/lib/lendwell/venvs/circ-{release}-cp{py}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind13",
    package=Package(HERE / "app" / "lendwell", releases={"2.3.0": 0, "2.4.1": 23},  # 2.4.1: comment lines
                    scripts={"lendwell-worker": "lendwell.worker", "lendwell-nightly": "lendwell.nightly"},
                    layout=LAYOUT, source_version="2.3.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "supervised": 1, "executor": 2},
                entries={"worker": 4, "runpy": 3, "nightly": 2},
                root_kinds={"opt": 3, "srv": 2, "home": 1, "venv": 3},
                idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "lendwell-worker", "runpy": "-m lendwell.worker", "nightly": "lendwell-nightly"},
    flags=("--harness", "--settings"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
