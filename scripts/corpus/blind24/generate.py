#!/usr/bin/env python3
"""Generate the twenty-fourth held-out corpus (fixtures/corpus_blind24/) from real hangs inside worker frameworks.

shelfnet (scripts/corpus/blind24/app/shelfnet/) is the shared backend of a public library consortium
(interlibrary loans to partners' FTP servers, e-book DRM licences, digitisation OCR and the scan manifest,
fines ledger, MARC catalog sync and dedupe, room bookings, OPAC cover thumbnails, hold pickup slots, patron card
status from the ILS, self-checkout kiosk reconciliation over SIP2), written without reading the analysis rules.
It is deployed, for real, on:

* celery 5 (`python -m celery -A shelfnet.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker and result backend a real redis-server started on a free
  loopback port; tasks sent with `.delay()` (or `.apply_async(queue=...)` when the worker runs with -Q);
* gunicorn (`python -m gunicorn -c python:shelfnet.gunicorn_conf shelfnet.web:app`), sync (-w 2..3) or
  gthread (--threads 2..4); each request is sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`): Worker / RoundRobinWorker (a forked work horse runs the job) or SimpleWorker
  (the job runs in the worker itself), sometimes --with-scheduler; jobs enqueued by dotted path.

The frameworks run from the scratch virtualenvs /tmp/b16-venv{310,311,312,313} (CPython 3.10 .. 3.13, celery
5.7.0, gunicorn 27.0.1, rq 3.0.0), read-only; the application from install roots under /opt, /srv, /usr/local/lib
and /home (a `pip install --target`-like tree with redis-py beside shelfnet, on PYTHONPATH); releases 4.2.0 and
4.3.1 (the same code with comment lines inserted).

The harness is NOT copied: it is blind22's generate.py imported with `realrun.sibling_generator("blind22")` (its
plan, Variant, run_variant with the READY reports, the /proc settle wait, capture, kill of the session and of
redis-server). Its app-specific globals are rebound on that module instance to this corpus's (CAUSES, PACKAGE,
noise, command, send, and program_env, which renames the INVIGIL_* variables run_variant passes to the SHELFNET_*
ones shelfnet reads); only those few functions are written here.

    .venv/bin/python scripts/corpus/blind24/generate.py --out /tmp/b24 --only kiosk-sip2-silent
    .venv/bin/python scripts/corpus/blind24/generate.py                       # -> fixtures/corpus_blind24/
    .venv/bin/python scripts/corpus/blind24/generate.py --capture hangdump --hangdump /tmp/b24frozenvenv/bin/hangdump
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

APP = HERE / "app" / "shelfnet"
PACKAGE = Package(
    source=APP, releases={"4.2.0": 0, "4.3.1": 5}, scripts={},
    layout={"opt": ("opt/shelfnet/{release}/py{py}", "lib"),
            "srv": ("srv/consortium/shelfnet-{release}-cp{py}", "site-packages"),
            "usr": ("usr/local/lib/shelfnet/{release_underscored}-py{py}", "pkgs"),
            "home": ("home/libsys/apps/shelfnet-{release}-py{py}", "lib")},
    source_version="4.2.0",
)

RQW = ("Worker", "SimpleWorker", "RoundRobinWorker")
TITLES = ["Middlemarch", "middlemarch", "The Waves", "Orlando", "the waves", "Beloved"]
CAUSES: dict[str, Cause] = {
    # celery: the hung pool child (prefork) or the threads-pool worker
    "ill-ftp-greeting-silent": Cause("celery", "io-read", ("upload_ill_request",),
                                     (("request_interlibrary_loan", ("ill-{i}", "lender-07", ["Orlando"])),),
                                     ("prefork", "threads")),
    "drm-licence-event-never-set": Cause("celery", "condition-wait", ("wait_for_licence_token",),
                                         (("activate_drm_licence", ("loan-{i}", "bibliotheca")),),
                                         ("threads", "prefork")),
    "ocr-pool-nested-submit": Cause("celery", "pool-wait", ("ocr_page", "collect_ocr_results"),
                                    (("ocr_scan_batch", ("scan-{i}", ["p1 ", "p2\t", "p3", "p4"])),),
                                    ("prefork", "threads")),
    "fines-ledger-lock-reentered": Cause("celery", "deadlock", ("recalculate_balance",),
                                         (("post_fine_payment", ("patron-{i}", "1.20")),), ("prefork", "threads")),
    "marc-converter-daemon-holds-pipe": Cause("celery", "subprocess-wait", ("convert_marc_batch",),
                                              (("sync_marc_batch", ("marc-{i}", ["ocm01", "ocm02"])),),
                                              ("threads", "prefork")),
    # gunicorn: the hung worker
    "room-booking-smtp-silent": Cause("gunicorn", "io-read", ("send_booking_confirmation",),
                                      (("/rooms/book/maker-{i}/patron{i}", ()),), ("sync", "gthread")),
    "cover-scaler-holds-gil": Cause("gunicorn", "gil", ("render_cover_thumbnail",),
                                    (("/covers/97801412{i:04d}", ()),), ("gthread",)),
    "pickup-allocator-died": Cause("gunicorn", "queue-wait", ("await_pickup_slot",),
                                   (("/holds/patron{i}/pickup", ()),), ("gthread", "sync")),
    "patron-status-ils-silent": Cause("gunicorn", "io-read", ("fetch_patron_status",),
                                      (("/patrons/2900{i:04d}/status", ()),), ("sync", "gthread")),
    # RQ: the work horse (or the SimpleWorker itself)
    "kiosk-sip2-silent": Cause("rq", "io-read", ("read_sip2_response",),
                               (("shelfnet.jobs.reconcile_kiosk_session", ("kiosk-{i}",)),), RQW),
    "scan-manifest-flock": Cause("rq", "flock", ("append_scan_manifest",),
                                 (("shelfnet.jobs.publish_scan_manifest", ("batch-{i}", 40)),), RQW),
    "catalog-dedupe-never-advances": Cause("rq", "busy", ("merge_duplicate_titles",),
                                           (("shelfnet.jobs.dedupe_catalog", (TITLES,)),), RQW),
    "ocr-engine-never-exits": Cause("rq", "subprocess-wait", ("run_ocr_engine",),
                                    (("shelfnet.jobs.ocr_digitised_page", ("scan-{i}.tiff",)),), RQW),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), styles=("prefork",), role="pool-child",
                                       hung_sibling="marc-converter-daemon-holds-pipe"),
    "healthy-celery-master": Cause("celery", "idle", (), styles=("prefork",), role="celery-master",
                                   hung_sibling="fines-ledger-lock-reentered"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), styles=("threads",), role="celery-worker"),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), styles=("gthread", "sync"), role="gunicorn-arbiter",
                                      hung_sibling="patron-status-ils-silent"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), styles=("sync",), role="gunicorn-worker",
                                          hung_sibling="room-booking-smtp-silent"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), styles=("gthread",), role="gunicorn-worker"),
    "healthy-rq-worker": Cause("rq", "idle", (), styles=RQW, role="rq-worker"),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), styles=("Worker", "RoundRobinWorker"),
                                             role="rq-worker", hung_sibling="kiosk-sip2-silent"),
}


def noise(rng: random.Random, framework: str, style: str) -> dict[str, object]:
    if framework == "celery":
        opts = {"concurrency": rng.randint(2, 3) if style == "prefork" else rng.randint(2, 4),
                "max_tasks_per_child": rng.choice([0, 0, 10, 50]), "fair": rng.random() < 0.5,
                "loglevel": rng.choice(["INFO", "WARNING"]), "queues": rng.choice(["", "", "circulation"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 900]),
                "warm": rng.random() < 0.5, "keepalive": rng.choice([2, 4])}
    else:
        opts = {"scheduler": rng.random() < 0.35, "queue": rng.choice(["default", "branches", "digitisation"])}
    opts["pick"] = rng.randint(0, 7)
    return opts


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "shelfnet.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"branch{v.index}@%h"]
        if opts["queues"]:
            cmd += ["-Q", opts["queues"]]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        cmd = [python, "-m", "gunicorn", "-c", "python:shelfnet.gunicorn_conf", "-w", str(opts["workers"]),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"]),
               "--keep-alive", str(opts["keepalive"])]
        if v.style == "gthread":
            cmd += ["--threads", str(opts["threads"])]
        return [*cmd, "shelfnet.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"branch-services-{v.index}"]
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
            import shelfnet.worker as tasks  # the generator's own copy: the worker's task names

            task = getattr(tasks, target)
            if opts["queues"]:  # the worker consumes -Q circulation only
                task.apply_async(args, queue=opts["queues"])
            else:
                task.delay(*args)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            path = target.format(i=v.index)
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: opac.shelfnet.test\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def shelfnet_env(**extra: str) -> dict[str, str]:
    """run_variant's environment with its INVIGIL_* settings under the names shelfnet reads."""
    return program_env(**{k.replace("INVIGIL_", "SHELFNET_", 1): val for k, val in extra.items()})


# blind22's harness, pointed at this corpus
_b22.CAUSES, _b22.PACKAGE, _b22.noise, _b22.command, _b22.send, _b22.program_env = (
    CAUSES, PACKAGE, noise, command, send, shelfnet_env)
plan, run_variant = _b22.plan, _b22.run_variant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _b22.add_capture_options(parser, "corpus_blind24")
    parser.add_argument("--per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261224)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /usr/local/lib and /home install roots are made (removed after)")
    args = parser.parse_args(argv)
    capturer, out = _b22.chosen_capture(args, "corpus_blind24")
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
    broker_dir = Path(tempfile.mkdtemp(prefix="shelfnet-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
        os.environ["SHELFNET_BROKER"] = broker.get()  # before the generator imports shelfnet.worker
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
