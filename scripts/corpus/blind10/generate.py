#!/usr/bin/env python3
"""Generate the tenth held-out corpus (fixtures/corpus_blind10/) from real hangs of meterflow.

meterflow (scripts/corpus/blind10/meterflow/) is the billing and meter-reading backend of a regional water
and gas utility (tariffs and the customer ledger, AMR concentrators, the payment processor, the invoice
spool and PDF renderer, route imports, usage reconciliation, the readings API), written without reading the
analysis rules. Each capture runs one task for real in a fresh process with a fleet's variation: CPython
3.9-3.13 (redis-py task on 3.11+), install roots under /opt, /srv and a virtualenv under /var/lib, releases
4.0.2 and 4.1.0 (comment lines inserted), entries `meterflow-worker`, `python -m meterflow.worker` and
`meterflow-cron` (audit/retry wrappers), the task inline, in a joined task thread or on a one-slot executor,
heartbeats, a metrics flusher, an idle upload pool, spent threads, extra waiters. Each release's installed tree
is kept under sources/<release>/ with source_roots.txt mapping every captured install prefix. Planning,
installing, running and capturing are shared with the other application corpora (appcorpus.py, variants.py,
installs.py); this file has what is meterflow's own.

    .venv/bin/python scripts/corpus/blind10/generate.py --per-cause 3 --healthy-per-cause 2
    .venv/bin/python scripts/corpus/blind10/generate.py --out /tmp/b10 --only invoice-spool-flock --per-cause 1
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
    "tariff-ledger-lock-order": Cause("reprice", "deadlock",
                                      ("post_adjustment", "apply_tariff_change", "reprice_account",
                                       "close_billing_period")),
    "concentrator-recv-no-timeout": Cause("poll-concentrator", "io-read", ("read_meter_frame",)),
    "latch-driver-holds-gil": Cause("latch-meter", "gil", ("latch_register",)),
    "payment-batch-urlopen": Cause("settle-payments", "io-read", ("post_payment_batch",)),
    "reading-stream-redis-silent": Cause("stream-readings", "io-read", ("push_reading_event",),
                                         min_python=(3, 11)),
    "invoice-spool-flock": Cause("write-invoices", "flock", ("lock_invoice_spool",)),
    "invoice-render-never-exits": Cause("render-invoices", "subprocess-wait", ("render_invoice_pdf",)),
    "reading-inbox-empty": Cause("ingest-readings", "queue-wait", ("next_reading_batch",)),
    "estimate-never-set": Cause("estimate-missed", "condition-wait", ("await_estimate",)),
    "route-totals-future-stuck": Cause("total-routes", "pool-wait", ("collect_route_totals",)),
    "route-import-join-stuck": Cause("import-routes", "join-wait", ("finish_route_import",)),
    "usage-reconcile-spins": Cause("reconcile", "busy", ("reconcile_usage",)),
    "audit-lock-across-fork": Cause("rotate-audit", "lock-wait", ("rotate_audit_log",)),
    "healthy-readings-api-selector": Cause("api", "idle", ()),
    "healthy-shutdown-wait": Cause("shutdown-wait", "idle", ()),
    "healthy-dispatcher-join": Cause("dispatcher", "idle", ()),
    "healthy-billing-pool": Cause("billing-pool", "idle", ()),
    "healthy-event-loop": Cause("event-loop", "idle", ()),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 4, 9]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["hb", "dispatcher-hb", "keepalive", "amr-heartbeat"]),
        "beat_every": rng.choice([0.5, 2.0, 15.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd-flush", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "uploaders": rng.choice([0, 0, 1, 2]),
        "upload_prefix": rng.choice(["", "s3-upload", "sftp"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "listeners": rng.randint(1, 3),
        "workers": rng.randint(2, 4),
        "processes": rng.random() < 0.4,
        "account": rng.randint(1, 99999),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 40)}", "billing-task"]),
        "task_prefix": rng.choice(["", "tasks", "slot"]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/meterflow/{release}-py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/utility-billing/meterflow-{release}-cp{py}", "lib"),
    "venv": ("var/lib/meterflow/venvs/worker-{release}-cp{py}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind10",
    package=Package(HERE / "meterflow", releases={"4.0.2": 0, "4.1.0": 17},  # 4.1.0: comment lines inserted
                    scripts={"meterflow-worker": "meterflow.worker", "meterflow-cron": "meterflow.cron"},
                    layout=LAYOUT),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "executor": 2}, entries={"worker": 4, "runpy": 3, "cron": 2},
                root_kinds=("opt", "srv", "venv"), noise_last=True),
    noise=noise,
    commands={"worker": "meterflow-worker", "runpy": "-m meterflow.worker", "cron": "meterflow-cron"},
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
