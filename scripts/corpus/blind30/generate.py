#!/usr/bin/env python3
"""Generate the thirtieth held-out corpus (fixtures/corpus_blind30/) from real hangs inside worker frameworks.

ampora (scripts/corpus/blind30/app/ampora/) is the customer platform of a regional electricity retailer
(smart-meter interval reads from the head-end system, read validation, tariff quotes from the wholesale pricing
engine, bill PDF charts and bill previews, direct-debit collections against the mandate register, outage SMS
over SMPP and the network operator's outage feed, move-in credit holds from the switching cache, move-out
final-read estimates, tariff sheets to a price-comparison FTP drop, meter installation appointments, the
settlement export of the day's readings, payment plans), written without reading the analysis rules. It is
deployed, for real, on:

* celery 5 (`python -m celery -A ampora.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker and result backend a real redis-server started on a free
  loopback port; tasks sent with `.delay()` (or `.apply_async(queue=...)` when the worker runs with -Q);
* gunicorn (`python -m gunicorn -c python:ampora.gunicorn_conf ampora.web:app`), sync (-w 2..3) or gthread
  (--threads 2..4); each request is sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`): Worker / RoundRobinWorker (a forked work horse runs the job) or SimpleWorker
  (the job runs in the worker itself), sometimes --with-scheduler; jobs enqueued by dotted path.

The frameworks run from the scratch virtualenvs /tmp/b16-venv{310,311,312,313} (CPython 3.10 .. 3.13, celery
5.7.0, gunicorn 27.0.1, rq 3.0.0), read-only; the application from install roots under /opt, /srv and
/usr/local (a `pip install --target`-like tree with redis-py beside ampora, on PYTHONPATH); releases 5.4.0 and
5.5.2 (the same code with comment lines inserted).

The harness is NOT copied: it is blind22's generate.py imported with `realrun.sibling_generator("blind22")` (plan,
Variant, run_variant with the READY reports, the /proc settle wait, capture, kill of the session and of
redis-server), as blind24/26/28 do; its app-specific globals are rebound on that module instance (CAUSES,
PACKAGE, noise, command, send, and program_env renaming the INVIGIL_* variables run_variant passes to the
AMPORA_* ones ampora reads). Only those few functions are written here.

    .venv/bin/python scripts/corpus/blind30/generate.py --out /tmp/b30 --only outage-sms-smpp-silent
    .venv/bin/python scripts/corpus/blind30/generate.py                       # -> fixtures/corpus_blind30/
    .venv/bin/python scripts/corpus/blind30/generate.py --capture hangdump --hangdump /tmp/b30frozenvenv/bin/hangdump
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

APP = HERE / "app" / "ampora"
PACKAGE = Package(
    source=APP, releases={"5.4.0": 0, "5.5.2": 6}, scripts={},
    layout={"opt": ("opt/ampora/{release}/cp{py}", "lib"),
            "srv": ("srv/retail/ampora-workers/ampora-{release}-py{py}", "site-packages"),
            "usr": ("usr/local/lib/ampora-energy/ampora_{release_underscored}_cp{py}", "pylib")},
    source_version="5.4.0",
)

RQW = ("Worker", "SimpleWorker", "RoundRobinWorker")
READS = [[412.5, 410.1], [88.0, 87.2], [1290.4, 1288.9]]
CAUSES: dict[str, Cause] = {
    # celery: the hung pool child (prefork) or the threads-pool worker
    "outage-sms-smpp-silent": Cause("celery", "io-read", ("submit_sm_pdu",),
                                    (("send_outage_sms", ("+4477009{i:05d}", "NE1 4")),), ("prefork", "threads")),
    "meter-validation-get-unconsumed": Cause("celery", "pool-wait", ("gather_validated_reads",),
                                             (("ingest_meter_batch", ("hes-batch-{i}", READS)),), ("threads", "prefork")),
    "direct-debit-mandate-lock-order": Cause("celery", "deadlock", ("post_debit_to_ledger", "cancel_mandate_record"),
                                             (("collect_direct_debit", ("ACC-{i}", 84.2)), ("revoke_mandate", ("ACC-{i}",))),
                                             ("threads",)),
    "bill-chart-dither-holds-gil": Cause("celery", "gil", ("dither_tariff_chart",),
                                         (("render_bill_pdf", ("ACC-{i}", 2)),), ("prefork", "threads")),
    "outage-feed-loader-died": Cause("celery", "condition-wait", ("wait_for_outage_feed",),
                                     (("notify_planned_outage", ("NE2 {i}",)),), ("prefork", "threads")),
    # gunicorn: the hung worker
    "tariff-quote-pricing-http-silent": Cause("gunicorn", "io-read", ("fetch_wholesale_curve",),
                                              (("/tariffs/quote/north-east/2026-12-{i:02d}", ()),), ("sync", "gthread")),
    "bill-preview-renderer-pipe-full": Cause("gunicorn", "subprocess-wait", ("render_bill_preview",),
                                             (("/bills/preview/ACC-{i}", ()),), ("gthread", "sync")),
    "install-slot-roster-lock-order": Cause("gunicorn", "deadlock", ("book_install_slot", "release_engineer_day"),
                                            (("/appointments/book/MPAN{i}/ENG-am", ()), ("/engineers/ENG/release", ())),
                                            ("gthread",)),
    "settlement-export-flock": Cause("gunicorn", "flock", ("lock_settlement_export",),
                                     (("/readings/export/2026-12-{i:02d}", ()),), ("sync", "gthread")),
    # RQ: the work horse (or the SimpleWorker itself)
    "head-end-retry-no-deadline": Cause("rq", "io-read", ("request_interval_reads",),
                                        (("ampora.jobs.poll_head_end", ("1200{i:09d}", "2026-12-02")),), RQW),
    "switching-cache-redis-silent": Cause("rq", "io-read", ("read_credit_hold",),
                                          (("ampora.jobs.process_move_in", ("1900{i:09d}", "tenant-{i}")),), RQW),
    "tariff-ftp-drop-no-timeout": Cause("rq", "io-read", ("open_tariff_drop",),
                                        (("ampora.jobs.publish_tariff_sheet", ("ampora-{i}", "north-east")),), RQW),
    "final-read-estimator-stdin-open": Cause("rq", "subprocess-wait", ("estimate_final_read",),
                                             (("ampora.jobs.estimate_move_out_read", ("1400{i:09d}", [410.1, 412.5])),),
                                             RQW),
    "payment-plan-interest-spin": Cause("rq", "busy", ("amortise_balance",),
                                        (("ampora.jobs.build_payment_plan", ("ACC-{i}", 120000, 2400)),), RQW),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), styles=("prefork",), role="pool-child",
                                       hung_sibling="outage-sms-smpp-silent"),
    "healthy-celery-master": Cause("celery", "idle", (), styles=("prefork",), role="celery-master",
                                   hung_sibling="bill-chart-dither-holds-gil"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), styles=("threads",), role="celery-worker"),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), styles=("sync", "gthread"), role="gunicorn-arbiter",
                                      hung_sibling="tariff-quote-pricing-http-silent"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), styles=("sync",), role="gunicorn-worker",
                                          hung_sibling="settlement-export-flock"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), styles=("gthread",), role="gunicorn-worker"),
    "healthy-rq-worker": Cause("rq", "idle", (), styles=RQW, role="rq-worker"),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), styles=("Worker", "RoundRobinWorker"),
                                             role="rq-worker", hung_sibling="tariff-ftp-drop-no-timeout"),
}


def noise(rng: random.Random, framework: str, style: str) -> dict[str, object]:
    if framework == "celery":
        opts = {"concurrency": rng.randint(2, 3) if style == "prefork" else rng.randint(2, 4),
                "max_tasks_per_child": rng.choice([0, 0, 10, 500]), "fair": rng.random() < 0.5,
                "loglevel": rng.choice(["INFO", "WARNING"]), "queues": rng.choice(["", "", "retail"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 900]),
                "warm": rng.random() < 0.5, "keepalive": rng.choice([2, 5])}
    else:
        opts = {"scheduler": rng.random() < 0.35, "queue": rng.choice(["default", "switching", "metering"])}
    opts["pick"] = rng.randint(0, 7)
    return opts


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "ampora.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"retail{v.index}@%h"]
        if opts["queues"]:
            cmd += ["-Q", opts["queues"]]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        workers = 1 if len(cause.send) > 1 else opts["workers"]  # both deadlocking requests on one worker
        cmd = [python, "-m", "gunicorn", "-c", "python:ampora.gunicorn_conf", "-w", str(workers),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"]),
               "--keep-alive", str(opts["keepalive"])]
        if v.style == "gthread":
            cmd += ["--threads", str(max(opts["threads"], len(cause.send)))]
        return [*cmd, "ampora.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"ampora-switching-{v.index}"]
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
            import ampora.worker as tasks  # the generator's own copy: the worker's task names

            task = getattr(tasks, target)
            if opts["queues"]:  # the worker consumes -Q retail only
                task.apply_async(args, queue=opts["queues"])
            else:
                task.delay(*args)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            path = target.format(i=v.index)
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: my.ampora-energy.test\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def ampora_env(**extra: str) -> dict[str, str]:
    """run_variant's environment with its INVIGIL_* settings under the names ampora reads."""
    return program_env(**{k.replace("INVIGIL_", "AMPORA_", 1): val for k, val in extra.items()})


# blind22's harness, pointed at this corpus
_b22.CAUSES, _b22.PACKAGE, _b22.noise, _b22.command, _b22.send, _b22.program_env = (
    CAUSES, PACKAGE, noise, command, send, ampora_env)
plan, run_variant = _b22.plan, _b22.run_variant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _b22.add_capture_options(parser, "corpus_blind30")
    parser.add_argument("--per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261230)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv and /usr/local install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = _b22.chosen_capture(args, "corpus_blind30")
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
    broker_dir = Path(tempfile.mkdtemp(prefix="ampora-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
        os.environ["AMPORA_BROKER"] = broker.get()  # before the generator imports ampora.worker
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
