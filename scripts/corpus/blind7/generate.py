#!/usr/bin/env python3
"""Generate the seventh held-out corpus (fixtures/corpus_blind7/) from real hangs of rxrounds.

rxrounds (scripts/corpus/blind7/rxrounds/) is the ward-rounds service of a hospital pharmacy and its lab-sample
desk (dispensing cabinets and the formulary, the robot carousel, infusion pumps, the controlled-drug register,
label printing and verification, lab analysers, the pneumatic-tube courier, the EHR and the drug-knowledge
service, the ward pager), written without reading the analysis rules. Each capture runs one of its tasks for
real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py task on 3.11+, where the vendored redis-py imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 4.2.0 and 4.3.1
  (4.3.1 = the same code with comment lines inserted);
* entry: the `rxrounds-agent` console script, `python -m rxrounds.dispatch`, or the `rxrounds-ward` console
  script (audit and retry decorators); the task runs in the main thread, in a task thread the main thread
  joins, `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: presence heartbeat sleep loops, an audit-metrics flusher on Event.wait(timeout), an idle upload
  pool, spent threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. Beside captures/ and labels.json the corpus keeps each release's
installed rxrounds tree under sources/<release>/ and source_roots.txt (captured install prefix=sources dir) for
source-root scoring. Planning, installing, running and capturing are shared with the other application corpora
(appcorpus.py, variants.py, installs.py); this file has what is rxrounds's own.

    .venv/bin/python scripts/corpus/blind7/generate.py                          # -> fixtures/corpus_blind7/
    .venv/bin/python scripts/corpus/blind7/generate.py --per-cause 1 --out /tmp/b7 --only controlled-register-flock
    .venv/bin/python scripts/corpus/blind7/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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
    "cabinet-formulary-lock-order": Cause(
        "restock-cabinet", "deadlock", (), ("lock_style", ("module", "args")),
        {"module": ("mark_available", "count_drawer", "restock_drawer", "substitute_product"),
         "args": ("hold_both", "reconcile_ward_stock", "recall_batch")}),
    "signoff-never-recorded": Cause("verify-order", "condition-wait", ("await_signoff",),
                                    ("signal_style", ("condition", "event"))),
    "label-spooler-died": Cause("print-labels", "queue-wait", ("collect_labels",)),
    "pump-gateway-recv": Cause("pump-rates", "io-read", ("query_rate",)),
    "analyser-readline-restart-join": Cause("analyser-restart", "io-read", ("next_result",)),
    "ehr-post-future-hung": Cause("ehr-order-push", "io-read", ("post_med_order",)),
    "interaction-rlock-urlopen": Cause("interaction-refresh", "io-read", ("_download", "reload")),
    "ward-pager-redis-silent": Cause("ward-page", "io-read", ("page_ward",), min_python=(3, 11)),
    "tube-controller-connect-backlog": Cause("courier-dispatch", "io-read", ("open_courier_channel",)),
    "label-renderer-fork-lock": Cause("label-verify", "lock-wait", ("draw_datamatrix", "render_label_batch")),
    "controlled-register-flock": Cause("controlled-register", "flock", ("append_register_entry",)),
    "titration-newton-cycles": Cause("dose-titration", "busy", ("titrate_dose", "response_residual",
                                                                "response_slope")),
    "carousel-shim-holds-gil": Cause("carousel-pick", "gil", ("move_to_shelf",)),
    "stability-model-stdin-open": Cause("stability-plan", "subprocess-wait", ("run_stability_model",)),
    "aliquot-pool-worker-exited": Cause("aliquot-split", "pool-wait", ("split_aliquots",)),
    "healthy-lis-selector": Cause("lis-listener", "idle", ()),
    "healthy-ward-services": Cause("ward-services", "idle", ()),
    "healthy-sample-consumers": Cause("sample-consumers", "idle", ()),
    "healthy-dispense-pool": Cause("dispense-pool", "idle", ()),
    "healthy-compounding-pool": Cause("compounding-pool", "idle", ()),
    "healthy-results-asyncio": Cause("results-feed", "idle", ()),
}


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 3, 5, 12, 21]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["presence", "heartbeat", "hb", "ward-alive"]),
        "heartbeat_every": rng.choice([0.5, 5.0, 20.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["audit-metrics", "prom-push", "statsd", f"Thread-{rng.randint(2, 60)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 45.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3, 4]),
        "upload_prefix": rng.choice(["", "report-upload", "pdf", "ThreadPoolExecutor-3"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 48),
        "pool_prefix": rng.choice(["", "ehr", "fhir", "w"]),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 30)}", "rounds-task", f"Thread-{rng.randint(1, 90)}"]),
        "task_prefix": rng.choice(["", "tasks", "rounds"]),
        "poll_join_every": rng.choice([0.5, 2.0, 5.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
    }


LAYOUT = {  # root kind -> (install home, where the package goes in it)
    "opt": ("opt/rxrounds/{release}-py{py}", "lib/python{python}/site-packages"),
    "srv": ("srv/pharmacy/rxrounds/rel-{release}-cp{py}", "app"),
    "venv": ("var/lib/rxrounds/venvs/wards-{release}-cp{py}", "lib/python{python}/site-packages"),
    "home": ("home/rxsvc/apps/rxrounds-{release}-py{python}", "lib/python{python}/site-packages"),
    "data": ("data/pharmacy-share/rxrounds/{release}/cp{py}", "pkgs"),
}

APP = App(
    corpus="corpus_blind7",
    package=Package(HERE / "rxrounds", releases={"4.2.0": 0, "4.3.1": 17},  # 4.3.1: comment/blank lines inserted
                    scripts={"rxrounds-agent": "rxrounds.console", "rxrounds-ward": "rxrounds.wardshell"},
                    layout=LAYOUT, source_version="4.2.0"),
    causes=CAUSES,
    fleet=Fleet(harnesses={"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1},
                entries={"console-script": 4, "runpy": 3, "ward": 2},
                root_kinds={"opt": 25, "srv": 20, "venv": 25, "home": 15, "data": 15}),
    noise=noise,
    commands={"console-script": "rxrounds-agent", "runpy": "-m rxrounds.dispatch", "ward": "rxrounds-ward"},
    flags=("--mode", "--config"),
    per_cause=5,
)

if __name__ == "__main__":
    sys.exit(main(APP, __doc__.split("\n\n")[0]))
