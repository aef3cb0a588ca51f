#!/usr/bin/env python3
"""Generate the twenty-fifth held-out corpus (fixtures/corpus_blind25/) from real hangs of quayside.

quayside (scripts/corpus/blind25/app/quayside/) is the operating backend of a container terminal (vessel
manifest BAPLIE pulls and the legacy EDI converter, reefer plug gateway telemetry and reefer plug assignment,
customs release notices by SMTP, quay crane to berth assignment and the crane PLC bridge, berth window
planning and vessel call closing, dangerous-goods declarations, yard move dispatch and the stack index,
storage tariff quotes on a worker pool, and the gate status, reefer alarm, customs poller and yard consumer
services), written without reading the analysis rules. Each capture runs one job for real in a fresh process
with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under /var/lib,
releases 2.7.0 and 2.8.0 (comment lines inserted), entries `quayside-worker`, `python -m quayside` and
`quayside-cron` (scheduler wrapper with a timing/retry decorator), the job inline, in a joined task thread, on
a one-slot executor or called from a coroutine under asyncio.run, heartbeats, a metrics flusher, an idle I/O
pool, spent threads and extra waiters. Planning, installing, running and capturing are shared with the other
application corpora (appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind25/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind25/generate.py --out /tmp/b25 --only stack-index-flock-held --per-cause 1
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
    "baplie-portal-http-no-timeout": Cause("manifest-import", "io-read",
                                           ("fetch_baplie_segment", "import_vessel_manifest")),
    "reefer-gateway-sync-recv-in-coroutine": Cause("reefer-poll", "io-read",
                                                   ("read_reefer_frame", "poll_reefer_gateway")),
    "customs-smtp-relay-banner-silent": Cause("customs-notify", "io-read",
                                              ("notify_broker_release", "send_release_notices")),
    "crane-berth-lock-order": Cause("crane-berth-sync", "deadlock", ("assign_crane_to_berth", "shift_berth_window")),
    "reefer-plug-fault-path-no-notify": Cause("reefer-plugs", "condition-wait",
                                              ("wait_for_reefer_plug", "assign_reefer_plugs")),
    "dg-register-session-leak": Cause("dg-declarations", "lock-wait", ("open_dg_session", "file_declaration")),
    "yard-move-queue-full-carrier-died": Cause("yard-moves", "queue-wait", ("enqueue_yard_move", "dispatch_yard_moves")),
    "vessel-close-joins-lashing-tracker": Cause("vessel-close", "join-wait", ("close_vessel_call",)),
    "edi-converter-waits-spool-lock": Cause("baplie-convert", "subprocess-wait",
                                            ("run_edi_converter", "convert_baplie_files")),
    "tariff-pool-worker-exits": Cause("storage-tariff", "pool-wait", ("quote_storage_charges",)),
    "stack-index-flock-held": Cause("stack-index", "flock", ("lock_stack_index", "rebuild_stack_index")),
    "crane-plc-pydll-holds-gil": Cause("crane-plc", "gil", ("read_register", "read_plc_register")),
    "berth-plan-swap-ties-loop": Cause("berth-plan", "busy", ("plan_cost", "swap_pass", "plan_berth_windows")),
    "healthy-gate-status-tcp-server": Cause("gate-status", "idle"),
    "healthy-reefer-alarm-asyncio": Cause("reefer-alarms", "idle"),
    "healthy-customs-release-poller": Cause("customs-poller", "idle"),
    "healthy-yard-move-consumers": Cause("yard-consumers", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 3, 6]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["heartbeat", "tos-keepalive", "lease-renew", "edi-hb"]),
        "beat_every": rng.choice([0.5, 5.0, 30.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd", "otel-export", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 3]),
        "io_prefix": rng.choice(["", "quay-io", "edi-sync"]),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 500),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 90)}", "tos-job"]),
        "task_prefix": rng.choice(["", "jobs", "quay-job"]),
        "poll_interval": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([30.0, 120.0, 600.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/quayside/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/terminal/quayside-{release_nodots}-cp{py}", "app"),
    "venv": ("var/lib/quayside/venv-{release}-{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind25",
    package=Package(HERE / "app" / "quayside", releases={"2.7.0": 0, "2.8.0": 23},  # 2.8.0: comment lines
                    scripts={"quayside-worker": "quayside.console", "quayside-cron": "quayside.cron"},
                    layout=LAYOUT, source_version="2.7.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "quayside-worker", "runpy": "-m quayside", "cron": "quayside-cron"},
    flags=("--harness", "--config"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
