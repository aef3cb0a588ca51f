#!/usr/bin/env python3
"""Generate the twenty-ninth held-out corpus (fixtures/corpus_blind29/) from real hangs of crumbline.

crumbline (scripts/corpus/blind29/app/crumbline/) is the production backend of a bakery chain (oven controller
zone telemetry over a framed TCP protocol, store order aggregation from the store portal API and the bounded
order intake queue, flour silo levels from redis and the flour order forecast in a process pool, HACCP probe
log archives over FTP from the async ingest and the food safety register exporter, the proofer-to-oven rack
handoff, the dough batch schedule waiting for the mixer, delivery route loading at the dock doors, the allergen
traceability pack export tool, the production plan spool and its lock file, the weigh station's scale head SDK,
recipe weight balancing, and the store portal, oven feed, HACCP sweeper, order consumer and scale listener
services), written without reading the analysis rules. Each capture runs one job for real in a fresh process
with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under /var/lib,
releases 2.4.0 and 2.5.0 (comment lines inserted), entries `crumbline-worker`, `python -m crumbline` and
`crumbline-cron` (scheduler wrapper with a timing/retry decorator), the job inline, in a joined task thread, on
a one-slot executor or called from a coroutine under asyncio.run, lease heartbeats, a metrics flusher, an idle
I/O pool, spent threads and extra waiters. Planning, installing, running and capturing are shared with the other
application corpora (appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind29/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind29/generate.py --out /tmp/b29 --only plan-spool-flock-held --per-cause 1
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
    "oven-zone-frame-recv-no-timeout": Cause("oven-telemetry", "io-read",
                                             ("_recv_exact", "read_zone_frame", "poll_oven_zones")),
    "store-orders-urlopen-no-timeout": Cause("store-orders", "io-read", ("fetch_store_orders", "aggregate_store_orders")),
    "silo-gauge-redis-no-socket-timeout": Cause("silo-levels", "io-read", ("read_silo_level", "refresh_silo_levels"),
                                                min_python=(3, 11)),
    "probe-log-ftp-banner-in-coroutine": Cause("haccp-archive", "io-read",
                                               ("fetch_probe_log_archive", "archive_probe_logs")),
    "rack-handoff-proofer-oven-lock-order": Cause("rack-handoff", "deadlock",
                                                  ("reserve_oven_deck", "free_proofer_slot", "release_rack_to_oven",
                                                   "unload_oven_deck")),
    "mixer-notify-before-wait": Cause("dough-schedule", "condition-wait",
                                      ("await_mixer_batch", "schedule_dough_batches")),
    "dock-door-semaphore-leak-empty-route": Cause("route-loading", "lock-wait",
                                                  ("claim_dock_door", "load_truck", "load_delivery_routes")),
    "order-intake-put-aggregator-died": Cause("order-intake", "queue-wait",
                                              ("enqueue_store_order", "intake_store_orders")),
    "haccp-exporter-join-blocked-in-get": Cause("haccp-export", "join-wait", ("stop_exporter", "export_haccp_logs")),
    "traceability-export-tool-silent-portal": Cause("allergen-audit", "subprocess-wait",
                                                    ("export_traceability_pack", "run_allergen_audit")),
    "flour-forecast-pool-worker-segfault": Cause("flour-forecast", "pool-wait", ("plan_flour_orders",)),
    "plan-spool-flock-held": Cause("publish-plan", "flock", ("lock_production_plan", "publish_production_plan")),
    "scale-head-pydll-read": Cause("weigh-batch", "gil", ("wait_for_scale_reading", "weigh_ingredient_batch")),
    "batch-weight-balance-never-converges": Cause("scale-recipe", "busy", ("balance_batch_weights", "scale_recipe")),
    "healthy-store-portal-tcp-server": Cause("store-portal", "idle"),
    "healthy-oven-feed-asyncio": Cause("oven-feed", "idle"),
    "healthy-haccp-sweeper": Cause("haccp-sweeper", "idle"),
    "healthy-order-event-consumers": Cause("order-consumers", "idle"),
    "healthy-scale-udp-selectors": Cause("scale-listener", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 2, 3, 7]),
        "beats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["lease", "plant-hb", "registry-keepalive", "hb"]),
        "beat_every": rng.choice([0.5, 4.0, 25.0]),
        "flusher": rng.random() < 0.6,
        "flusher_name": rng.choice(["metrics", "prom-push", "statsd", f"Thread-{rng.randint(2, 40)}"]),
        "flush_every": rng.choice([1.0, 10.0, 60.0]),
        "idle_pool": rng.choice([0, 0, 1, 2, 3]),
        "idle_prefix": rng.choice(["", "plant-io", "blob-upload"]),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "stores": rng.randint(2, 9),
        "zones": rng.randint(2, 6),
        "silos": rng.randint(2, 5),
        "gateways": rng.randint(1, 3),
        "rack": rng.randint(1, 40),
        "rows": rng.randint(1, 3),
        "batches": rng.randint(2, 9),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 80)}", "bake-job"]),
        "task_prefix": rng.choice(["", "jobs", "crumb-job"]),
        "serve_poll": rng.choice([0.5, 1.0]),
        "watch_every": rng.choice([5.0, 30.0, 120.0]),
        "sweep_every": rng.choice([30.0, 120.0, 600.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/crumbline/{release}/cp{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/bakery/crumbline-{release_nodots}-py{py}", "app"),
    "venv": ("var/lib/crumbline/venvs/prod-{release}-{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind29",
    package=Package(HERE / "app" / "crumbline", releases={"2.4.0": 0, "2.5.0": 23},  # 2.5.0: comment lines
                    scripts={"crumbline-worker": "crumbline.console", "crumbline-cron": "crumbline.cron"},
                    layout=LAYOUT, source_version="2.4.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "crumbline-worker", "runpy": "-m crumbline", "cron": "crumbline-cron"},
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
