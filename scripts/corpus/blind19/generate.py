#!/usr/bin/env python3
"""Generate the nineteenth held-out corpus (fixtures/corpus_blind19/) from real hangs of aquaduct.

aquaduct (scripts/corpus/blind19/app/aquaduct/) is the operations backend of a municipal water utility (AMI
meter reads from the collector head-end and the usage ledger, the SCADA historian sync, the RTU serial driver
and the pressure alarm bus, pump station Modbus telemetry and the energy-aware pump schedule, LIMS lab
results over TLS, valve work orders and crew dispatch, bill runs and the billing export, acoustic leak
correlation, the regulator telemetry uploader, pressure-zone map tiles, and the meter gateway, boil-water
notice portal, sampling scheduler, work-order consumers and SCADA event listener services), written without
reading the analysis rules. Each capture runs one job for real in a fresh process with a fleet's variation:
CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under /var/lib, releases 5.2.0 and 5.3.0
(comment lines inserted), entries `aquaduct-ops`, `python -m aquaduct` and `aquaduct-cron` (scheduler wrapper
with a timing/retry decorator), the job inline, in a joined task thread, on a one-slot executor or under
asyncio.run (a sync job called from a coroutine: it blocks the loop; coroutine jobs run under asyncio.run in
every harness), heartbeats, a metrics flusher, an idle I/O pool, spent threads, extra waiters and queued jobs.
Each release's installed tree is kept under sources/<release>/ with source_roots.txt mapping every captured
install prefix. Planning, installing, running and capturing are shared with the other application corpora
(appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind19/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind19/generate.py --out /tmp/b19 --only billing-export-flock --per-cause 1
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
    "meter-collector-recv-no-timeout": Cause("meter-reads", "io-read", ("read_collector_frame", "poll_meter_collector")),
    "historian-httpclient-no-timeout": Cause("historian-sync", "io-read", ("push_tag_batch", "sync_historian")),
    "lims-tls-handshake-silent": Cause("lab-results", "io-read", ("open_lims_channel", "fetch_lab_results")),
    "pump-modbus-sync-recv-in-coroutine": Cause("pump-telemetry", "io-read",
                                                ("read_pump_register", "poll_pump_stations")),
    "valve-close-crew-reassign-lock-order": Cause("dispatch-round", "deadlock",
                                                  ("assign_crew", "set_valve_state", "close_valve", "reassign_crew")),
    "rate-table-notify-before-wait": Cause("bill-run", "condition-wait", ("wait_loaded", "print_bills")),
    "ledger-cursor-generator-holds-lock": Cause("route-charges", "lock-wait", ("post_usage_charge",)),
    "leak-correlator-died-keyerror": Cause("leak-scan", "queue-wait", ("collect_correlations", "scan_for_leaks")),
    "uploader-paused-stop-joins": Cause("maintenance-window", "join-wait",
                                        ("stop_uploader", "close_maintenance_window")),
    "tile-warmer-keeps-stdout-pipe": Cause("zone-maps", "subprocess-wait", ("render_pressure_map",)),
    "alarm-bus-threadsafe-result-on-loop": Cause("pressure-alarms", "pool-wait",
                                                 ("publish_alarm_sync", "handle_pressure_drop")),
    "billing-export-flock": Cause("billing-export", "flock", ("acquire_cycle_lock", "export_billing_cycle")),
    "rtu-driver-pydll-serial-read": Cause("rtu-poll", "gil", ("read_rtu_serial", "poll_rtu_stations")),
    "pump-schedule-zero-step": Cause("pump-schedule", "busy", ("plan_pump_schedule",)),
    "healthy-meter-gateway-tcp-server": Cause("meter-gateway", "idle"),
    "healthy-notice-portal-asyncio": Cause("notice-portal", "idle"),
    "healthy-sample-scheduler": Cause("sample-scheduler", "idle"),
    "healthy-workorder-consumers": Cause("workorder-consumers", "idle"),
    "healthy-scada-selectors-listener": Cause("scada-listener", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 2, 4, 9]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["heartbeat", "scada-keepalive", "lease", "node-presence"]),
        "beat_every": rng.choice([0.5, 4.0, 25.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "influx-flush", "statsd", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 3]),
        "io_prefix": rng.choice(["", "aq-io", "gis-upload"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 200),
        "step_minutes": rng.choice([5, 15, 30]),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 50)}", "ops-job"]),
        "task_prefix": rng.choice(["", "jobs", "aquaduct-job"]),
        "poll_interval": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([60.0, 300.0, 900.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/aquaduct/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/utility/aquaduct-{release_nodots}-cp{py}", "app"),
    "venv": ("var/lib/aquaduct/venvs/ops-{release}-py{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind19",
    package=Package(HERE / "app" / "aquaduct", releases={"5.2.0": 0, "5.3.0": 29},  # 5.3.0: comment lines
                    scripts={"aquaduct-ops": "aquaduct.console", "aquaduct-cron": "aquaduct.cron"},
                    layout=LAYOUT, source_version="5.2.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"ops": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"ops": "aquaduct-ops", "runpy": "-m aquaduct", "cron": "aquaduct-cron"},
    flags=("--harness", "--config"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
