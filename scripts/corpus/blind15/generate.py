#!/usr/bin/env python3
"""Generate the fifteenth held-out corpus (fixtures/corpus_blind15/) from real hangs of innkeep.

innkeep (scripts/corpus/blind15/app/innkeep/) is the booking, folio and housekeeping backend of a hotel group
(the channel manager link and availability push, the rate-sheet pull, folio receipts by SMTP, checkout and
room moves, the sealed folio batch, the key-card encoder daemon and the vendor SDK's card-swipe read, the
housekeeping inspection board, minibar charges and restock planning, the night audit's revenue close and its
lock file, loyalty points, and the front-desk, guest-portal, folio-consumer, housekeeping-scheduler and laundry
services), written without reading the analysis rules. Each capture runs one job for real in a fresh process
with a fleet's variation: CPython 3.9-3.13, install roots under /opt, /srv and a virtualenv under /var/lib,
releases 7.1.0 and 7.2.0 (comment lines inserted), entries `innkeep-worker`, `python -m innkeep` and
`innkeep-audit` (audit/retry wrapper), the job inline, in a joined task thread or on a one-slot executor,
heartbeats, a metrics flusher, an idle I/O pool, spent threads, extra waiters and queued jobs. Each release's
installed tree is kept under sources/<release>/ with source_roots.txt mapping every captured install prefix.
Planning, installing, running and capturing are shared with the other application corpora (appcorpus.py,
variants.py, installs.py).

    .venv/bin/python scripts/corpus/blind15/generate.py --per-cause 4 --healthy-per-cause 3
    .venv/bin/python scripts/corpus/blind15/generate.py --out /tmp/b15 --only night-audit-lockfile-held --per-cause 1
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
    "ota-ack-readline-silent": Cause("ota-sync", "io-read", ("read_ack_frame", "push_frame")),
    "rate-sheet-urlopen-silent": Cause("rate-pull", "io-read", ("pull_rate_sheet",)),
    "receipt-smtp-no-greeting": Cause("mail-receipts", "io-read", ("mail_folio_receipt",)),
    "keycard-encoder-select-forever": Cause("encode-keys", "io-read", ("await_encoder_reply",)),
    "checkout-roommove-lock-order": Cause("checkout-batch", "deadlock",
                                          ("release_room", "post_to_folio", "close_folio", "move_guest")),
    "inspection-wait-for-str-vs-int": Cause("turndown", "condition-wait", ("await_inspection",)),
    "minibar-ledger-lock-leaked": Cause("minibar-post", "lock-wait", ("post_minibar_charge",)),
    "revenue-close-mpqueue-child-died": Cause("revenue-totals", "queue-wait", ("collect_revenue_totals",)),
    "points-grace-timer-ms-as-s": Cause("points-flush", "join-wait", ("flush_points_ledger",)),
    "folio-seal-stdin-open": Cause("seal-folios", "subprocess-wait", ("seal_folio_batch",)),
    "ota-push-pool-nested-submit": Cause("ota-push", "pool-wait", ("sync_room_type", "push_availability")),
    "night-audit-lockfile-held": Cause("night-audit", "flock", ("acquire_audit_lock",)),
    "keycard-sdk-pydll-gil": Cause("card-swipe", "gil", ("wait_for_card_swipe", "kc_wait_card")),
    "minibar-par-rounding-spin": Cause("minibar-restock", "busy", ("reconcile_par_levels",)),
    "healthy-frontdesk-tcp-server": Cause("frontdesk", "idle"),
    "healthy-guest-portal-asyncio": Cause("guest-portal", "idle"),
    "healthy-housekeeping-scheduler": Cause("hk-scheduler", "idle"),
    "healthy-folio-event-consumers": Cause("folio-consumers", "idle"),
    "healthy-laundry-process-pool": Cause("laundry-pool", "idle"),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent": rng.choice([0, 0, 1, 2, 5, 11]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["hb", "pms-heartbeat", "presence", "lease-renew"]),
        "beat_every": rng.choice([0.5, 3.0, 20.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd-flush", "otel-export", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 3]),
        "io_prefix": rng.choice(["", "pms-io", "s3-upload"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "property": rng.randint(1, 240),
        "task_thread": rng.choice(["", f"job-{rng.randint(1, 60)}", "night-job"]),
        "task_prefix": rng.choice(["", "jobs", "innkeep-job"]),
        "poll_interval": rng.choice([0.5, 1.0, 5.0]),
        "sweep_every": rng.choice([60.0, 300.0, 900.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it); one home per interpreter
    "opt": ("opt/innkeep/{release}/cp{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/hotel/innkeep-{release_nodots}-py{py}", "app"),
    "venv": ("var/lib/innkeep/venvs/worker-{release}-{python}", "lib/python{python}/site-packages"),
}

APP = App(
    corpus="corpus_blind15",
    package=Package(HERE / "app" / "innkeep", releases={"7.1.0": 0, "7.2.0": 19},  # 7.2.0: comment lines
                    scripts={"innkeep-worker": "innkeep.console", "innkeep-audit": "innkeep.audit"},
                    layout=LAYOUT, source_version="7.1.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 5, "threaded": 3, "executor": 2}, entries={"worker": 4, "runpy": 3, "audit": 2},
                root_kinds={"opt": 2, "srv": 2, "venv": 1}, idle_harnesses={"inline": 3, "threaded": 1}),
    noise=noise,
    commands={"worker": "innkeep-worker", "runpy": "-m innkeep", "audit": "innkeep-audit"},
    per_cause=4, idle_per_cause=3,
)


if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
