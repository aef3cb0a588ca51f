#!/usr/bin/env python3
"""Generate the twenty-sixth held-out corpus (fixtures/corpus_blind26/) from real hangs inside worker frameworks.

curbside (scripts/corpus/blind26/app/curbside/) is the back office of a city's parking and permits platform
(licence-plate recognition on camera batches, towing dispatch, residential permit renewals, street-sweeping
notices by mail, the citation ledger, meter firmware packaging, the DMV registry lookup, citation history from
the enforcement cache, the sweeping schedule, zone rates, camera feed ingestion, the permit roll export, tow photo
archiving), written without reading the analysis rules. It is deployed, for real, on:

* celery 5 (`python -m celery -A curbside.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker and result backend a real redis-server started on a free
  loopback port; tasks sent with `.delay()` (or `.apply_async(queue=...)` when the worker runs with -Q);
* gunicorn (`python -m gunicorn -c python:curbside.gunicorn_conf curbside.web:app`), sync (-w 2..3) or
  gthread (--threads 2..4); each request is sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`): Worker / RoundRobinWorker (a forked work horse runs the job) or SimpleWorker
  (the job runs in the worker itself), sometimes --with-scheduler; jobs enqueued by dotted path.

The frameworks run from the scratch virtualenvs /tmp/b16-venv{310,311,312,313} (CPython 3.10 .. 3.13), read-only;
the application from install roots under /opt, /srv and /var (a `pip install --target`-like tree with redis-py
beside curbside, on PYTHONPATH); releases 1.4.0 and 1.5.2 (the same code with comment lines inserted).

The harness is NOT copied: it is blind22's generate.py imported with `realrun.sibling_generator("blind22")` (plan,
Variant, run_variant with the READY reports, the /proc settle wait, capture, kill of the session and of
redis-server), as blind24 does; its app-specific globals are rebound on that module instance (CAUSES, PACKAGE,
noise, command, send, program_env renaming INVIGIL_* to CURBSIDE_*). Only those few functions are written here.

    .venv/bin/python scripts/corpus/blind26/generate.py --out /tmp/b26 --only camera-feed-recv-silent
    .venv/bin/python scripts/corpus/blind26/generate.py                       # -> fixtures/corpus_blind26/
    .venv/bin/python scripts/corpus/blind26/generate.py --capture hangdump --hangdump /tmp/b26frozenvenv/bin/hangdump
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

APP = HERE / "app" / "curbside"
PACKAGE = Package(
    source=APP, releases={"1.4.0": 0, "1.5.2": 7}, scripts={},
    layout={"opt": ("opt/curbside/{release}/py{py}", "lib"),
            "srv": ("srv/city-parking/curbside-{release}-cp{py}", "site-packages"),
            "var": ("var/lib/curbside/releases/{release_nodots}/py{py}", "pylib")},
    source_version="1.4.0",
)

RQW = ("Worker", "SimpleWorker", "RoundRobinWorker")
CAUSES: dict[str, Cause] = {
    # celery: the hung pool child (prefork) or the threads-pool worker
    "plate-matcher-holds-gil": Cause("celery", "gil", ("match_plate_crop",),
                                     (("scan_camera_batch", ("cam-{i}", ["KX41 ZPA", "LR07 BTE"])),), ("prefork",)),
    "tow-dispatch-subtask-get": Cause("celery", "pool-wait", ("assign_nearest_truck",),
                                      (("dispatch_tow", ("tow-{i}", "depot-north")),), ("prefork", "threads")),
    "permit-address-check-died": Cause("celery", "condition-wait", ("wait_for_address_verification",),
                                       (("renew_permit", ("rp-{i}", "zone-C")),), ("threads", "prefork")),
    "sweeping-notice-smtp-silent": Cause("celery", "io-read", ("deliver_notice_batch",),
                                         (("send_sweeping_notices", ("elm-{i}", ["a@x.test", "b@x.test"])),),
                                         ("prefork", "threads")),
    "citation-ledger-lock-order": Cause("celery", "deadlock", ("record_citation", "reverse_citation"),
                                        (("issue_citation", ("PCN-{i}", "GH12 WER")), ("void_citation", ("PCN-{i}",))),
                                        ("threads",)),
    "meter-firmware-stderr-full": Cause("celery", "subprocess-wait", ("package_firmware_image",),
                                        (("push_meter_firmware", ("meter-{i}",)),), ("threads", "prefork")),
    # gunicorn: the hung worker
    "dmv-registry-http-silent": Cause("gunicorn", "io-read", ("query_dmv_registry",),
                                      (("/plates/AB{i:04d}CD/registration", ()),), ("sync", "gthread")),
    "citation-cache-redis-silent": Cause("gunicorn", "io-read", ("load_citation_history",),
                                         (("/citations/YT{i:04d}/history", ()),), ("gthread", "sync")),
    "sweeping-window-never-advances": Cause("gunicorn", "busy", ("next_sweeping_window",),
                                            (("/sweeping/maple-{i}/next", ()),), ("sync", "gthread")),
    "zone-rate-lock-order": Cause("gunicorn", "deadlock", ("refresh_zone_rate", "close_parking_zone"),
                                  (("/rates/zone/A", ()), ("/zones/A/close", ())), ("gthread",)),
    # RQ: the work horse (or the SimpleWorker itself)
    "camera-feed-recv-silent": Cause("rq", "io-read", ("read_camera_frame",),
                                     (("curbside.jobs.ingest_camera_feed", ("lpr-cam-{i}",)),), RQW),
    "permit-roll-flock": Cause("rq", "flock", ("lock_permit_roll",),
                               (("curbside.jobs.export_permit_roll", ("zone-{i}",)),), RQW),
    "tow-photo-pool-worker-died": Cause("rq", "pool-wait", ("compress_tow_photos",),
                                        (("curbside.jobs.archive_tow_photos", ("tow-{i}", ["a.jpg", "b.heic", "c.jpg"])),),
                                        RQW),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), styles=("prefork",), role="pool-child",
                                       hung_sibling="plate-matcher-holds-gil"),
    "healthy-celery-master": Cause("celery", "idle", (), styles=("prefork",), role="celery-master",
                                   hung_sibling="permit-address-check-died"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), styles=("threads",), role="celery-worker"),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), styles=("sync", "gthread"), role="gunicorn-arbiter",
                                      hung_sibling="dmv-registry-http-silent"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), styles=("sync",), role="gunicorn-worker",
                                          hung_sibling="citation-cache-redis-silent"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), styles=("gthread",), role="gunicorn-worker"),
    "healthy-rq-worker": Cause("rq", "idle", (), styles=RQW, role="rq-worker"),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), styles=("Worker", "RoundRobinWorker"),
                                             role="rq-worker", hung_sibling="camera-feed-recv-silent"),
}


def noise(rng: random.Random, framework: str, style: str) -> dict[str, object]:
    if framework == "celery":
        opts = {"concurrency": rng.randint(2, 3) if style == "prefork" else rng.randint(2, 4),
                "max_tasks_per_child": rng.choice([0, 0, 10, 50]), "fair": rng.random() < 0.5,
                "loglevel": rng.choice(["INFO", "WARNING"]), "queues": rng.choice(["", "", "enforcement"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 900]),
                "warm": rng.random() < 0.5, "keepalive": rng.choice([2, 4])}
    else:
        opts = {"scheduler": rng.random() < 0.35, "queue": rng.choice(["default", "permits", "cameras"])}
    opts["pick"] = rng.randint(0, 7)
    return opts


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "curbside.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"cell{v.index}@%h"]
        if opts["queues"]:
            cmd += ["-Q", opts["queues"]]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        workers = 1 if len(cause.send) > 1 else opts["workers"]  # both deadlocking requests on one worker
        cmd = [python, "-m", "gunicorn", "-c", "python:curbside.gunicorn_conf", "-w", str(workers),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"]),
               "--keep-alive", str(opts["keepalive"])]
        if v.style == "gthread":
            cmd += ["--threads", str(max(opts["threads"], len(cause.send)))]
        return [*cmd, "curbside.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"parking-ops-{v.index}"]
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
            import curbside.worker as tasks  # the generator's own copy: the worker's task names

            task = getattr(tasks, target)
            if opts["queues"]:  # the worker consumes -Q enforcement only
                task.apply_async(args, queue=opts["queues"])
            else:
                task.delay(*args)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            path = target.format(i=v.index)
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: api.curbside.test\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def curbside_env(**extra: str) -> dict[str, str]:
    """run_variant's environment with its INVIGIL_* settings under the names curbside reads."""
    return program_env(**{k.replace("INVIGIL_", "CURBSIDE_", 1): val for k, val in extra.items()})


# blind22's harness, pointed at this corpus
_b22.CAUSES, _b22.PACKAGE, _b22.noise, _b22.command, _b22.send, _b22.program_env = (
    CAUSES, PACKAGE, noise, command, send, curbside_env)
plan, run_variant = _b22.plan, _b22.run_variant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _b22.add_capture_options(parser, "corpus_blind26")
    parser.add_argument("--per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261226)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /usr/local/lib and /home install roots are made (removed after)")
    args = parser.parse_args(argv)
    capturer, out = _b22.chosen_capture(args, "corpus_blind26")
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
    broker_dir = Path(tempfile.mkdtemp(prefix="curbside-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
        os.environ["CURBSIDE_BROKER"] = broker.get()  # before the generator imports curbside.worker
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
