#!/usr/bin/env python3
"""Generate the twenty-third held-out corpus (fixtures/corpus_blind23/) from real hangs of piste.

piste (scripts/corpus/blind23/app/piste/) is the operations backend of a ski resort (lift gate ticket scans
against the pass cache, the lift status board, season pass renewals through the payment gateway and the
renewal reminders, demo ski rental and boot fitting benches, the rental return kiosks, the snowmaking night
cycle and the pump house valve schedule, the avalanche desk's snowpack readings, the snow depth probe SDK,
the sensor gateway, the ski school's morning muster, the grooming fleet's snowcat tracker and route
optimizer, ski patrol radio transcripts, the shared radio log and the handset listener, and dynamic lift
ticket pricing), written without reading the analysis rules. Each capture runs one job for real in a fresh
process with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under
/var/lib, releases 3.4.0 and 3.5.0 (comment lines inserted), entries `piste-worker`, `python -m piste` and
`piste-cron` (scheduler wrapper with a timing/retry decorator), the job inline, in a joined task thread, on a
one-slot executor or called from a coroutine under asyncio.run (coroutine jobs run under asyncio.run in every
harness), heartbeats, a metrics flusher, an idle I/O pool, spent threads, extra waiters and queued jobs.
Each release's installed tree is kept under sources/<release>/ with source_roots.txt mapping every captured
install prefix. Planning, installing, running and capturing are shared with the other application corpora
(appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind23/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind23/generate.py --out /tmp/b23 --only radio-log-flock-held --per-cause 1
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
    "gate-pass-cache-redis-silent": Cause("gate-scan", "io-read", ("fetch_pass_record", "scan_lift_tickets"),
                                          min_python=(3, 11)),  # the vendored redis-py imports on 3.11+
    "snowgun-tls-handshake-silent": Cause("snowmaking-cycle", "io-read", ("open_gun_session", "run_snowmaking_cycle")),
    "radio-gateway-http-no-timeout": Cause("radio-transcripts", "io-read",
                                           ("fetch_transcript_page", "sync_radio_transcripts")),
    "rental-fitting-lock-order": Cause("rental-desk", "deadlock",
                                       ("book_fitting_slot", "release_demo_pair", "reserve_demo_skis", "finish_fitting")),
    "school-muster-instructor-on-leave": Cause("ski-school-muster", "condition-wait",
                                               ("start_lessons", "instructor_checkin", "open_lesson_day")),
    "pass-gateway-semaphore-leak": Cause("pass-renewals", "lock-wait", ("charge_renewal", "renew_season_passes")),
    "avalanche-station-sentinel-lost": Cause("avalanche-assess", "queue-wait",
                                             ("collect_snowpack_readings", "assess_avalanche_risk")),
    "cat-tracker-stale-halt-event": Cause("grooming-shift", "join-wait", ("stop_tracking", "run_grooming_shift")),
    "valve-loader-stdin-never-closed": Cause("valve-schedule", "subprocess-wait",
                                             ("push_valve_schedule", "plan_snowmaking_night")),
    "yield-model-pool-initializer-fails": Cause("day-prices", "pool-wait", ("quote_lift_day", "publish_day_prices")),
    "radio-log-flock-held": Cause("radio-log", "flock", ("append_radio_entry", "log_patrol_calls")),
    "snow-probe-sdk-pydll-gil": Cause("snow-probes", "gil", ("read_probe_frame", "poll_snow_probes")),
    "grooming-two-opt-never-converges": Cause("grooming-routes", "busy", ("two_opt_pass", "route_length")),
    "healthy-lift-status-http-server": Cause("lift-status", "idle"),
    "healthy-sensor-gateway-asyncio": Cause("sensor-gateway", "idle"),
    "healthy-renewal-reminder-scheduler": Cause("renewal-reminders", "idle"),
    "healthy-rental-return-consumers": Cause("rental-returns", "idle"),
    "healthy-radio-selectors-listener": Cause("radio-listener", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 2, 4, 9]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["heartbeat", "lift-presence", "lease-keepalive", "ops-hb"]),
        "beat_every": rng.choice([0.5, 4.0, 25.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd-flush", "prom-push", f"Thread-{rng.randint(2, 36)}"]),
        "metrics_every": rng.choice([1.0, 15.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 3]),
        "io_prefix": rng.choice(["", "piste-io", "s3-sync"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 400),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 70)}", "ops-job"]),
        "task_prefix": rng.choice(["", "jobs", "piste-job"]),
        "poll_interval": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([60.0, 300.0, 900.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/piste/{release}/cp{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/resort/piste-{release_nodots}-py{py}", "app"),
    "venv": ("var/lib/piste/venvs/ops-{release}-py{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind23",
    package=Package(HERE / "app" / "piste", releases={"3.4.0": 0, "3.5.0": 29},  # 3.5.0: comment lines
                    scripts={"piste-worker": "piste.console", "piste-cron": "piste.cron"},
                    layout=LAYOUT, source_version="3.4.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "piste-worker", "runpy": "-m piste", "cron": "piste-cron"},
    flags=("--run-as", "--settings"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
