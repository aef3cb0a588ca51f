#!/usr/bin/env python3
"""Generate the thirty-second held-out corpus (fixtures/corpus_blind32/) from real hangs inside worker frameworks.

adjustra (scripts/corpus/blind32/app/adjustra/) is the back office of a property-insurance carrier's claims
platform (first notice of loss intake against the policy snapshot cache, photo damage assessment with a vendor
EXIF decoder, contractor repair estimates, adjuster scheduling against the field calendar service, fraud scoring
with the prior-claims graph and an external vendor, case reserves from loss triangles, the reserve ledger,
payment disbursement files, subrogation demand letters over SMTP, catastrophe-event triage), written without
reading the analysis rules. It is deployed, for real, on:

* celery 5 (`python -m celery -A adjustra.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker and result backend a real redis-server started on a free
  loopback port; tasks sent with `.delay()` (or `.apply_async(queue=...)` when the worker runs with -Q);
* gunicorn (`python -m gunicorn -c python:adjustra.gunicorn_conf adjustra.web:app`), sync (-w 2..3) or gthread
  (--threads 2..4); each request is sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`): Worker / RoundRobinWorker (a forked work horse runs the job) or SimpleWorker
  (the job runs in the worker itself), sometimes --with-scheduler; jobs enqueued by dotted path.

The frameworks run from the scratch virtualenvs /tmp/b16-venv{310,311,312,313} (CPython 3.10 .. 3.13, celery
5.7.0, gunicorn 27.0.1, rq 3.0.0), read-only; the application from install roots under /opt, /srv and /var/lib
(a `pip install --target`-like tree with redis-py beside adjustra, on PYTHONPATH); releases 3.1.0 and 3.2.4
(the same code with comment lines inserted).

The harness is NOT copied: it is blind22's generate.py imported with `realrun.sibling_generator("blind22")`
(plan, Variant, run_variant with the READY reports, the /proc settle wait, capture, kill of the session and of
redis-server), as blind24/26/28/30 do; its app-specific globals are rebound on that module instance (CAUSES,
PACKAGE, noise, command, send, and program_env renaming the INVIGIL_* variables run_variant passes to the
ADJUSTRA_* ones adjustra reads). Only those few functions are written here.

    .venv/bin/python scripts/corpus/blind32/generate.py --out /tmp/b32 --only subrogation-smtp-no-greeting
    .venv/bin/python scripts/corpus/blind32/generate.py                       # -> fixtures/corpus_blind32/
    .venv/bin/python scripts/corpus/blind32/generate.py --capture hangdump --hangdump /tmp/b32frozenvenv/bin/hangdump
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path[:0] = [str(REPO), str(HERE.parent)]

from installs import Package, Roots, write_sources
from realrun import capture_all, program_env, sibling_generator

_b22 = sibling_generator("blind22")  # a module instance of our own: rebinding its globals touches nobody else
Cause, Variant, Broker = _b22.Cause, _b22.Variant, _b22.Broker
VENVS = _b22.VENVS

APP = HERE / "app" / "adjustra"
PACKAGE = Package(
    source=APP, releases={"3.1.0": 0, "3.2.4": 4}, scripts={},
    layout={"opt": ("opt/adjustra/{release}/cp{py}", "lib"),
            "srv": ("srv/claims/adjustra-workers/adjustra-{release}-py{py}", "site-packages"),
            "var": ("var/lib/adjustra/releases/{release_underscored}-cp{py}", "pylib")},
    source_version="3.1.0",
)

RQW = ("Worker", "SimpleWorker", "RoundRobinWorker")
CAUSES: dict[str, Cause] = {
    # celery: the hung pool child (prefork) or the threads-pool worker
    "photo-exif-decoder-holds-gil": Cause("celery", "gil", ("decode_exif_thumbnail",),
                                          (("assess_photos", ("CLM-{i}", 3)),), ("prefork", "threads")),
    "fraud-graph-subtask-get-unconsumed": Cause("celery", "pool-wait", ("await_prior_claims",),
                                                (("score_fraud", ("CLM-{i}", "INS-{i}")),), ("threads", "prefork")),
    "reserve-triangle-loader-died": Cause("celery", "condition-wait", ("wait_for_loss_triangle",),
                                          (("calculate_reserve", ("CLM-{i}", "DP-1", 18250.0)),),
                                          ("prefork", "threads")),
    "subrogation-smtp-no-greeting": Cause("celery", "io-read", ("deliver_demand_letter",),
                                          (("send_subrogation_letter", ("CLM-{i}", "mutual-{i}")),),
                                          ("prefork", "threads")),
    "cat-triage-policy-book-lock-order": Cause("celery", "deadlock", ("route_claims_to_region", "lock_policy_book"),
                                               (("triage_cat_event", ("CAT-26-{i}", "gulf")),
                                                ("freeze_policy_book", ("CAT-26-{i}",))), ("threads",)),
    # gunicorn: the hung worker
    "adjuster-calendar-http-silent": Cause("gunicorn", "io-read", ("fetch_adjuster_calendar",),
                                           (("/adjusters/schedule/CLM-{i}/z{i}/2026-12-{i:02d}", ()),),
                                           ("sync", "gthread")),
    "contact-sheet-montage-pipe-full": Cause("gunicorn", "subprocess-wait", ("build_contact_sheet",),
                                             (("/claims/CLM-{i}/photos/contact-sheet", ()),), ("gthread", "sync")),
    "reserve-ledger-lock-order": Cause("gunicorn", "deadlock", ("post_reserve_adjustment", "close_reserve_line"),
                                       (("/reserves/adjust/CLM-{i}", ()), ("/reserves/close/CLM-{i}", ())),
                                       ("gthread",)),
    "disbursement-file-flock": Cause("gunicorn", "flock", ("lock_disbursement_file",),
                                     (("/payments/disburse/PB-{i}", ()),), ("sync", "gthread")),
    # RQ: the work horse (or the SimpleWorker itself)
    "fnol-policy-cache-redis-silent": Cause("rq", "io-read", ("read_policy_snapshot",),
                                            (("adjustra.jobs.ingest_first_notice", ("CLM-{i}", "HO3-{i}")),), RQW),
    "fraud-vendor-retry-no-deadline": Cause("rq", "io-read", ("request_fraud_score",),
                                            (("adjustra.jobs.score_with_vendor", ("CLM-{i}", 48200.0)),), RQW),
    "repair-quote-future-behind-stuck-pool": Cause("rq", "pool-wait",
                                                   ("collect_repair_estimates", "wait_for_contractor_quote"),
                                                   (("adjustra.jobs.gather_repair_quotes",
                                                     ("CLM-{i}", ["roofer-{i}", "glazier-{i}"])),), RQW),
    "ultimate-loss-factor-never-converges": Cause("rq", "busy", ("iterate_development_factors",),
                                                  (("adjustra.jobs.project_ultimate_loss",
                                                    ("CLM-{i}", [1200.0, 800.5, 310.25])),), RQW),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), styles=("prefork",), role="pool-child",
                                       hung_sibling="subrogation-smtp-no-greeting"),
    "healthy-celery-master": Cause("celery", "idle", (), styles=("prefork",), role="celery-master",
                                   hung_sibling="photo-exif-decoder-holds-gil"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), styles=("threads",), role="celery-worker"),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), styles=("gthread", "sync"), role="gunicorn-arbiter",
                                      hung_sibling="adjuster-calendar-http-silent"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), styles=("sync",), role="gunicorn-worker",
                                          hung_sibling="disbursement-file-flock"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), styles=("gthread",), role="gunicorn-worker"),
    "healthy-rq-worker": Cause("rq", "idle", (), styles=RQW, role="rq-worker"),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), styles=("Worker", "RoundRobinWorker"),
                                             role="rq-worker", hung_sibling="fnol-policy-cache-redis-silent"),
}


def noise(rng: random.Random, framework: str, style: str) -> dict[str, object]:
    if framework == "celery":
        opts = {"concurrency": rng.randint(2, 3) if style == "prefork" else rng.randint(2, 4),
                "max_tasks_per_child": rng.choice([0, 0, 20, 250]), "fair": rng.random() < 0.5,
                "loglevel": rng.choice(["INFO", "WARNING", "ERROR"]), "queues": rng.choice(["", "", "claims"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 600]),
                "warm": rng.random() < 0.5, "keepalive": rng.choice([2, 4])}
    else:
        opts = {"scheduler": rng.random() < 0.35, "queue": rng.choice(["default", "intake", "fraud"])}
    opts["pick"] = rng.randint(0, 7)
    return opts


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "adjustra.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"claims{v.index}@%h"]
        if opts["queues"]:
            cmd += ["-Q", opts["queues"]]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        workers = 1 if len(cause.send) > 1 else opts["workers"]  # both deadlocking requests on one worker
        cmd = [python, "-m", "gunicorn", "-c", "python:adjustra.gunicorn_conf", "-w", str(workers),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"]),
               "--keep-alive", str(opts["keepalive"])]
        if v.style == "gthread":
            cmd += ["--threads", str(max(opts["threads"], len(cause.send)))]
        return [*cmd, "adjustra.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"adjustra-intake-{v.index}"]
    if opts["scheduler"]:
        cmd.append("--with-scheduler")
    return [*cmd, opts["queue"]]


def _filled(args: tuple, i: int) -> tuple:
    def fill(a):
        if isinstance(a, str):
            return a.format(i=i)
        if isinstance(a, list):
            return [fill(x) for x in a]
        return a
    return tuple(fill(a) for a in args)


def send(v: Variant, cause: Cause, port: int, broker: str, clients: list) -> None:
    """Make the cause's task / request / job hang."""
    opts = dict(v.options)
    for target, args in cause.send:
        args = _filled(args, v.index)
        if cause.framework == "celery":
            import adjustra.worker as tasks  # the generator's own copy: the worker's task objects

            task = getattr(tasks, target)
            if opts["queues"]:  # the worker consumes -Q claims only
                task.apply_async(args, queue=opts["queues"])
            else:
                task.delay(*args)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            client.sendall(f"GET {target.format(i=v.index)} HTTP/1.1\r\nHost: desk.adjustra.test\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def adjustra_env(**extra: str) -> dict[str, str]:
    """run_variant's environment with its INVIGIL_* settings under the names adjustra reads."""
    return program_env(**{k.replace("INVIGIL_", "ADJUSTRA_", 1): val for k, val in extra.items()})


# blind22's harness, pointed at this corpus
_b22.CAUSES, _b22.PACKAGE, _b22.noise, _b22.command, _b22.send, _b22.program_env = (
    CAUSES, PACKAGE, noise, command, send, adjustra_env)
plan, run_variant = _b22.plan, _b22.run_variant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _b22.add_capture_options(parser, "corpus_blind32")
    parser.add_argument("--per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261232)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv and /var/lib install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = _b22.chosen_capture(args, "corpus_blind32")
    pythons = [p for p, s in VENVS.items() if os.access(f"/tmp/b16-venv{s}/bin/python", os.X_OK)]
    if not pythons:
        parser.error("no framework virtualenv /tmp/b16-venvXY (see the docstring)")
    versions = {p: subprocess.run([f"/tmp/b16-venv{VENVS[p]}/bin/python", "-c",
                                   "import platform; print(platform.python_version())"], check=True, capture_output=True,
                                  text=True).stdout.strip() for p in pythons}
    variants = plan(args.per_cause, pythons, args.seed, args.only)
    captures = out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    broker_dir = Path(tempfile.mkdtemp(prefix="adjustra-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
        os.environ["ADJUSTRA_BROKER"] = broker.get()  # before the generator imports adjustra.worker
        complete = capture_all(variants, lambda v: run_variant(v, roots, captures, broker, capturer, versions),
                               out / "labels.json")
        write_sources(out, PACKAGE)
    finally:
        broker.stop()
        roots.cleanup()
        shutil.rmtree(broker_dir, ignore_errors=True)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
