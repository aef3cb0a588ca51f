#!/usr/bin/env python3
"""Generate the twenty-first held-out corpus (fixtures/corpus_blind21/) from real hangs of vetpath.

vetpath (scripts/corpus/blind21/app/vetpath/) is the practice-management backend of a veterinary clinic
network (reference-lab results over MLLP and the lab PDF reports of discharge packets, insurance claim
submission and the invoice export, study uploads to the radiology PACS drop over FTP and X-ray preview
thumbnails, kennel camera snapshots and boarding feeding rounds, the morning re-plan of the appointment book
against the client ledger, pharmacy stock reconciliation and the controlled-drug dispensing log, the
front-desk microchip scanner, telehealth consult rooms, steroid taper schedules, and the front-desk check-in
API, telehealth signaling relay, vaccine reminder scheduler, lab result consumers and imaging conversion pool
services), written without reading the analysis rules. Each capture runs one job for real in a fresh process
with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under /var/lib,
releases 4.6.0 and 4.7.0 (comment lines inserted), entries `vetpath-worker`, `python -m vetpath` and
`vetpath-cron` (scheduler wrapper with a timing/retry decorator), the job inline, in a joined task thread,
on a one-slot executor or under asyncio.run (a sync job called from a coroutine blocks the loop; coroutine
jobs run under asyncio.run in every harness), heartbeats, a metrics flusher, an idle I/O pool, spent threads,
extra waiters and queued jobs. Each release's installed tree is kept under sources/<release>/ with
source_roots.txt mapping every captured install prefix. Planning, installing, running and capturing are
shared with the other application corpora (appcorpus.py, variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind21/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind21/generate.py --out /tmp/b21 --only controlled-log-flock --per-cause 1
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
    "reflab-mllp-recv-no-timeout": Cause("lab-import", "io-read", ("read_mllp_frame", "import_lab_results")),
    "claims-urlopen-blocks-loop": Cause("claims-submit", "io-read", ("post_claim", "submit_claims")),
    "pacs-ftp-no-welcome": Cause("imaging-upload", "io-read", ("open_pacs_drop", "upload_study")),
    "kennel-cam-connect-backlog": Cause("kennel-snapshots", "io-read",
                                        ("open_camera_stream", "capture_kennel_snapshots")),
    "rebook-refund-lock-order": Cause("rebook-day", "deadlock",
                                      ("transfer_deposit", "release_slot", "move_appointment", "refund_cancellation")),
    "count-sheet-loader-died": Cause("stock-reconcile", "condition-wait",
                                     ("await_count_sheet", "reconcile_pharmacy_stock")),
    "telehealth-room-lock-leaked": Cause("telehealth-close", "lock-wait", ("close_room", "end_telehealth_visits")),
    "invoice-writer-died-full-queue": Cause("invoice-export", "queue-wait", ("enqueue_invoice", "export_invoices")),
    "feeding-rounds-stop-no-wake": Cause("boarding-close", "join-wait", ("stop", "stop_feeding_rounds", "close_boarding_day")),
    "xray-thumbs-wait-full-pipe": Cause("xray-previews", "subprocess-wait",
                                        ("render_xray_thumbnails", "publish_imaging_previews")),
    "lab-pdf-worker-segfault": Cause("lab-pdfs", "pool-wait", ("render_lab_pdfs", "print_discharge_packets")),
    "controlled-log-flock": Cause("controlled-dispense", "flock", ("lock_controlled_log", "record_controlled_dispense")),
    "chip-scanner-pydll-read": Cause("chip-scan", "gil", ("read_tag", "read_chip_scanner", "scan_microchips")),
    "taper-float-never-zero": Cause("taper-print", "busy", ("plan_taper_schedule",)),
    "healthy-front-desk-tcp-server": Cause("front-desk", "idle"),
    "healthy-telehealth-signaling-asyncio": Cause("telehealth-signaling", "idle"),
    "healthy-reminder-scheduler": Cause("reminder-scheduler", "idle"),
    "healthy-lab-result-consumers": Cause("lab-consumers", "idle"),
    "healthy-imaging-process-pool": Cause("imaging-pool", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 3, 6, 12]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["heartbeat", "clinic-presence", "lease", "pms-keepalive"]),
        "beat_every": rng.choice([0.5, 5.0, 30.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "prom-push", "statsd", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 3]),
        "io_prefix": rng.choice(["", "vet-io", "pacs-upload"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 300),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 50)}", "clinic-job"]),
        "task_prefix": rng.choice(["", "jobs", "vetpath-job"]),
        "poll_interval": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([60.0, 300.0, 900.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/vetpath/{release}/py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/clinic/vetpath-{release_nodots}-cp{py}", "app"),
    "venv": ("var/lib/vetpath/venvs/pms-{release}-py{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind21",
    package=Package(HERE / "app" / "vetpath", releases={"4.6.0": 0, "4.7.0": 23},  # 4.7.0: comment lines
                    scripts={"vetpath-worker": "vetpath.console", "vetpath-cron": "vetpath.cron"},
                    layout=LAYOUT, source_version="4.6.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 3, "executor": 2, "asyncio": 2},
                entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "vetpath-worker", "runpy": "-m vetpath", "cron": "vetpath-cron"},
    flags=("--harness", "--config"),
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
