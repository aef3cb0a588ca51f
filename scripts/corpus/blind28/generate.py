#!/usr/bin/env python3
"""Generate the twenty-eighth held-out corpus (fixtures/corpus_blind28/) from real hangs inside worker frameworks.

lisbench (scripts/corpus/blind28/app/lisbench/) is the worker tier of a hospital clinical laboratory's
information system (analyzer result feeds in HL7 over MLLP, Westgard QC rules on control runs and control lots,
specimen barcode labels, reference ranges, courier pickup routes, aliquoting and storage racks, critical-value
call lists, the label print spool, result delivery to the EMR over XML-RPC, Levey-Jennings QC statistics, EMPI
patient matching, turnaround-time reports), written without reading the analysis rules. It is deployed, for
real, on:

* celery 5 (`python -m celery -A lisbench.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker and result backend a real redis-server started on a free
  loopback port; tasks sent with `.delay()` (or `.apply_async(queue=...)` when the worker runs with -Q);
* gunicorn (`python -m gunicorn -c python:lisbench.gunicorn_conf lisbench.web:app`), sync (-w 2..3) or
  gthread (--threads 2..4); each request is sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`): Worker / RoundRobinWorker (a forked work horse runs the job) or SimpleWorker
  (the job runs in the worker itself), sometimes --with-scheduler; jobs enqueued by dotted path.

The frameworks run from the scratch virtualenvs /tmp/b16-venv{310,311,312,313} (CPython 3.10 .. 3.13 with
celery[redis], gunicorn, rq), read-only; the application from install roots under /opt, /srv and /usr/local (a
`pip install --target`-like tree with redis-py beside lisbench, on PYTHONPATH); releases 3.1.0 and 3.2.4 (the
same code with comment lines inserted).

The harness is NOT copied: it is blind22's generate.py imported with `realrun.sibling_generator("blind22")` (plan,
Variant, run_variant with the READY reports, the /proc settle wait, capture, kill of the session and of
redis-server), as blind24 and blind26 do; its app-specific globals are rebound on that module instance (CAUSES,
PACKAGE, noise, command, send, and program_env renaming the INVIGIL_* variables run_variant passes to the
LISBENCH_* ones lisbench reads). Only those few functions are written here.

    .venv/bin/python scripts/corpus/blind28/generate.py --out /tmp/b28 --only hl7-mllp-feed-silent
    .venv/bin/python scripts/corpus/blind28/generate.py                       # -> fixtures/corpus_blind28/
    .venv/bin/python scripts/corpus/blind28/generate.py --capture hangdump --hangdump /tmp/b28frozenvenv/bin/hangdump
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

APP = HERE / "app" / "lisbench"
PACKAGE = Package(
    source=APP, releases={"3.1.0": 0, "3.2.4": 4}, scripts={},
    layout={"opt": ("opt/lisbench/{release}/cp{py}", "lib"),
            "srv": ("srv/clinlab/lis-workers/lisbench-{release}-py{py}", "site-packages"),
            "usr": ("usr/local/lib/corelab/lisbench_{release_underscored}_cp{py}", "pylib")},
    source_version="3.1.0",
)

RQW = ("Worker", "SimpleWorker", "RoundRobinWorker")
LEVELS = [0.4, -1.1, 2.3, 1.7]
RECEIPTS = [["2026-12-24T16:05:00", "2026-12-24T17:10:00"], ["2026-12-25T21:40:00", "2026-12-28T08:15:00"]]
CAUSES: dict[str, Cause] = {
    # celery: the hung pool child (prefork) or the threads-pool worker
    "hl7-mllp-feed-silent": Cause("celery", "io-read", ("read_mllp_frame",),
                                  (("ingest_analyzer_feed", ("cobas-c503-{i}", "run-{i}")),), ("prefork", "threads")),
    "westgard-group-get-unrouted": Cause("celery", "pool-wait", ("collect_westgard_verdicts",),
                                         (("review_qc_run", ("qc-{i}", LEVELS)),), ("threads", "prefork")),
    "qc-lot-lock-order": Cause("celery", "deadlock", ("evaluate_control_run", "close_control_lot"),
                               (("apply_westgard_rules", ("qc-{i}", "LOT-{i}", LEVELS)), ("retire_control_lot", ("LOT-{i}",))),
                               ("threads",)),
    "barcode-encoder-holds-gil": Cause("celery", "gil", ("encode_label_bitmap",),
                                       (("print_specimen_labels", ("S26-{i}", 2)),), ("prefork", "threads")),
    "reference-range-loader-died": Cause("celery", "condition-wait", ("wait_for_reference_ranges",),
                                         (("flag_out_of_range", ("S26-{i}", "K", 6.4, "F", 71)),),
                                         ("prefork", "threads")),
    # gunicorn: the hung worker
    "courier-route-http-silent": Cause("gunicorn", "io-read", ("fetch_route_plan",),
                                       (("/couriers/route/run-{i}", ()),), ("sync", "gthread")),
    "aliquot-rack-lock-order": Cause("gunicorn", "deadlock", ("split_into_aliquots", "archive_rack"),
                                     (("/specimens/S26-{i:05d}/aliquot", ()), ("/racks/R{i}/archive", ())),
                                     ("gthread",)),
    "critical-watch-cross-worker": Cause("gunicorn", "condition-wait", ("wait_for_new_critical",),
                                         (("/critical-values/watch/icu-{i}", ()),), ("gthread", "sync")),
    "label-spool-flock": Cause("gunicorn", "flock", ("lock_printer_spool",),
                               (("/labels/print/S26-{i:05d}", ()),), ("sync", "gthread")),
    # RQ: the work horse (or the SimpleWorker itself)
    "emr-xmlrpc-silent": Cause("rq", "io-read", ("submit_result_batch",),
                               (("lisbench.jobs.push_verified_results", ("batch-{i}", ["S26-1", "S26-2"])),), RQW),
    "levey-jennings-join-before-get": Cause("rq", "subprocess-wait", ("compute_levey_jennings",),
                                            (("lisbench.jobs.summarize_qc_month", ("sysmex-xn-{i}", "2026-11")),), RQW),
    "empi-retry-no-deadline": Cause("rq", "io-read", ("lookup_mrn",),
                                    (("lisbench.jobs.register_outreach_patient", ("Okafor", "Ada", "1957-03-0{i}")),),
                                    RQW),
    "tat-business-hours-spin": Cause("rq", "busy", ("advance_to_business_hours",),
                                     (("lisbench.jobs.build_tat_report", ("site-{i}", RECEIPTS)),), RQW),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), styles=("prefork",), role="pool-child",
                                       hung_sibling="hl7-mllp-feed-silent"),
    "healthy-celery-master": Cause("celery", "idle", (), styles=("prefork",), role="celery-master",
                                   hung_sibling="barcode-encoder-holds-gil"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), styles=("threads",), role="celery-worker"),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), styles=("sync", "gthread"), role="gunicorn-arbiter",
                                      hung_sibling="courier-route-http-silent"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), styles=("sync",), role="gunicorn-worker",
                                          hung_sibling="label-spool-flock"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), styles=("gthread",), role="gunicorn-worker"),
    "healthy-rq-worker": Cause("rq", "idle", (), styles=RQW, role="rq-worker"),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), styles=("Worker", "RoundRobinWorker"),
                                             role="rq-worker", hung_sibling="emr-xmlrpc-silent"),
}


def noise(rng: random.Random, framework: str, style: str) -> dict[str, object]:
    if framework == "celery":
        opts = {"concurrency": rng.randint(2, 3) if style == "prefork" else rng.randint(2, 4),
                "max_tasks_per_child": rng.choice([0, 0, 20, 200]), "fair": rng.random() < 0.5,
                "loglevel": rng.choice(["INFO", "WARNING"]), "queues": rng.choice(["", "", "corelab"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 1800]),
                "warm": rng.random() < 0.5, "keepalive": rng.choice([2, 5])}
    else:
        opts = {"scheduler": rng.random() < 0.35, "queue": rng.choice(["default", "results", "qc"])}
    opts["pick"] = rng.randint(0, 7)
    return opts


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "lisbench.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"corelab{v.index}@%h"]
        if opts["queues"]:
            cmd += ["-Q", opts["queues"]]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        workers = 1 if len(cause.send) > 1 else opts["workers"]  # both deadlocking requests on one worker
        cmd = [python, "-m", "gunicorn", "-c", "python:lisbench.gunicorn_conf", "-w", str(workers),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"]),
               "--keep-alive", str(opts["keepalive"])]
        if v.style == "gthread":
            cmd += ["--threads", str(max(opts["threads"], len(cause.send)))]
        return [*cmd, "lisbench.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"lis-results-{v.index}"]
    if opts["scheduler"]:
        cmd.append("--with-scheduler")
    return [*cmd, opts["queue"]]


def _filled(args: tuple, i: int) -> tuple:
    return tuple(a.format(i=i) if isinstance(a, str) else a for a in args)


def send(v: Variant, cause: Cause, port: int, broker: str, clients: list) -> None:
    """Make the cause's task / request / job hang."""
    opts = dict(v.options)
    for target, args in cause.send:
        args = _filled(args, v.index)
        if cause.framework == "celery":
            import lisbench.worker as tasks  # the generator's own copy: the worker's task names

            task = getattr(tasks, target)
            if opts["queues"]:  # the worker consumes -Q corelab only
                task.apply_async(args, queue=opts["queues"])
            else:
                task.delay(*args)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            path = target.format(i=v.index)
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: lis.corelab.test\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def lisbench_env(**extra: str) -> dict[str, str]:
    """run_variant's environment with its INVIGIL_* settings under the names lisbench reads."""
    return program_env(**{k.replace("INVIGIL_", "LISBENCH_", 1): val for k, val in extra.items()})


# blind22's harness, pointed at this corpus
_b22.CAUSES, _b22.PACKAGE, _b22.noise, _b22.command, _b22.send, _b22.program_env = (
    CAUSES, PACKAGE, noise, command, send, lisbench_env)
plan, run_variant = _b22.plan, _b22.run_variant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _b22.add_capture_options(parser, "corpus_blind28")
    parser.add_argument("--per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261228)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv and /usr/local install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = _b22.chosen_capture(args, "corpus_blind28")
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
    broker_dir = Path(tempfile.mkdtemp(prefix="lisbench-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
        os.environ["LISBENCH_BROKER"] = broker.get()  # before the generator imports lisbench.worker
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
