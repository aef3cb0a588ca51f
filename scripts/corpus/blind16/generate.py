#!/usr/bin/env python3
"""Generate the sixteenth held-out corpus (fixtures/corpus_blind16/) from real hangs inside worker frameworks.

parcelhub (scripts/corpus/blind16/app/parcelhub/) is the backend of a regional parcel carrier (label printing,
carrier rate quotes, manifest journal, depot scans, customs sealing, courier dispatch, van load planning),
written without reading the analysis rules. It is deployed, for real, on:

* celery 5 (`python -m celery -A parcelhub.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker a real redis-server this generator starts on a free loopback
  port; tasks are sent with `.delay()`;
* gunicorn (`python -m gunicorn -c python:parcelhub.gunicorn_conf parcelhub.web:app`), sync (-w 2..3) or
  gthread (--threads 2..4) workers; requests are sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`), the default forking Worker (its work horse runs the job) or RoundRobinWorker,
  sometimes --with-scheduler; jobs enqueued by dotted path.

Each framework runs from a scratch virtualenv per CPython (3.10 .. 3.13, pyenv builds):

    for v in 3.10.13 3.11.7 3.12.1 3.13.0; do s=${v%.*}; s=${s/./}
      $(pyenv root)/versions/$v/bin/python -m venv /tmp/b16-venv$s
      /tmp/b16-venv$s/bin/pip install "celery[redis]==5.7.0" gunicorn==27.0.1 rq==3.0.0 redis==8.1.0; done

and the application from an install root (/srv/parcelhub/releases/<release>-cp<py>/app or
/opt/parcelhub/<release>-cp<py>/lib/python<X.Y>/site-packages, on PYTHONPATH; releases 4.2.0 and 4.3.1, the same code
with comment lines inserted). The process of the capture's role is dumped once every thread its READY line names
sits in its expected syscall (blind2's wait_settled): the hung pool child / gunicorn worker / RQ horse, or a
healthy one: an idle pool child beside a hung sibling, the celery master (with a hung child), an idle
threads-pool worker, the gunicorn arbiter, an idle sync or gthread worker, an idle RQ worker, the RQ worker
waiting on its hung horse. Capture: `py-spy dump --json` (default) or a live `hangdump collect --json
--no-store` (--capture hangdump), ~30% --native (blind4's Capturer). Every process of the run's session is
killed afterwards (the RQ horse makes a process group of its own), and redis-server at the end.

    .venv/bin/python scripts/corpus/blind16/generate.py --out /tmp/b16 --only label-template-http-silent
    .venv/bin/python scripts/corpus/blind16/generate.py                       # -> fixtures/corpus_blind16/
    .venv/bin/python scripts/corpus/blind16/generate.py --capture hangdump --hangdump /tmp/b16frozenvenv/bin/hangdump
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path[:0] = [str(REPO), str(HERE.parent)]

from installs import Package, Roots, write_sources
from realrun import NotSettled, capture_all, launch, program_env, sibling_generator

_b2 = sibling_generator("blind2")
_b4 = sibling_generator("blind4")
kill_group, wait_settled, upstreams = _b2.kill_group, _b2.wait_settled, _b2.upstreams
Broker, ready_reports = _b4.Broker, _b4.ready_reports
add_capture_options, chosen_capture = _b4.add_capture_options, _b4.chosen_capture

APP = HERE / "app" / "parcelhub"
PACKAGE = Package(
    source=APP, releases={"4.2.0": 0, "4.3.1": 5}, scripts={},
    layout={"srv": ("srv/parcelhub/releases/{release}-cp{py}", "app"),
            "opt": ("opt/parcelhub/{release}-cp{py}", "lib/python{python}/site-packages")},
    source_version="4.2.0",
)
VENVS = {"3.10": "310", "3.11": "311", "3.12": "312", "3.13": "313"}


@dataclass(frozen=True)
class Cause:
    framework: str  # celery / gunicorn / rq
    category: str
    culprits: tuple[str, ...] = ()
    role: str = ""  # the captured process
    send: tuple[tuple[str, str], ...] = ()  # (task / path / job, argument) sent to make it hang, in order
    styles: tuple[str, ...] = ()  # the framework flavours it runs on (pool or worker class), alternated
    hung_sibling: str = ""  # a healthy role captured beside a hung one: the cause whose send hangs it


CAUSES: dict[str, Cause] = {
    # celery prefork: the hung pool child
    "label-template-http-silent": Cause("celery", "io-read", ("fetch_label_template",), "pool-child",
                                        (("print_label", "PX-{i}"),), ("prefork",)),
    "rate-cache-redis-silent": Cause("celery", "io-read", ("lookup_cached_rate",), "pool-child",
                                     (("quote_rate", "DE-NL-{i}"),), ("prefork",)),
    "manifest-journal-flock": Cause("celery", "flock", ("append_manifest_journal",), "pool-child",
                                    (("upload_manifest", "MF-{i}"),), ("prefork",)),
    "scan-converter-never-exits": Cause("celery", "subprocess-wait", ("run_scan_converter",), "pool-child",
                                        (("convert_scans", "batch-{i}"),), ("prefork",)),
    "customs-codec-holds-gil": Cause("celery", "gil", ("encode_customs_batch",), "pool-child",
                                     (("seal_customs", "CU-{i}"),), ("prefork",)),
    "sort-belt-never-notified": Cause("celery", "condition-wait", ("wait_for_belt_slot",), "",
                                      (("sort_parcel", "belt-{i}"),), ("prefork", "threads")),
    # celery threads pool: two tasks take the module locks in opposite orders
    "courier-van-lock-order": Cause("celery", "deadlock", ("assign_courier", "release_van"), "celery-worker",
                                    (("pair_courier", "R{i}"), ("return_van", "R{i}")), ("threads",)),
    # gunicorn
    "depot-beacon-recv": Cause("gunicorn", "io-read", ("read_depot_beacon",), "gunicorn-worker",
                               (("/beacon/depot-{i}", ""),), ("sync", "gthread")),
    "route-shift-lock-order": Cause("gunicorn", "deadlock", ("reserve_route", "close_depot_shift"),
                                    "gunicorn-worker", (("/routes/r{i}", ""), ("/shifts/d{i}", "")), ("gthread",)),
    "pickup-pool-starved-by-watchers": Cause("gunicorn", "pool-wait", ("schedule_pickup",), "gunicorn-worker",
                                             (("/pickups/slot-{i}", ""),), ("gthread", "sync")),
    "geocoder-ready-never-set": Cause("gunicorn", "condition-wait", ("await_geocoder",), "gunicorn-worker",
                                      (("/addresses/a{i}", ""),), ("sync", "gthread")),
    # RQ: the work horse
    "invoice-gateway-silent": Cause("rq", "io-read", ("post_invoice",), "rq-horse",
                                    (("parcelhub.jobs.push_invoice", "ACC-{i}"),), ("Worker", "RoundRobinWorker")),
    "van-load-planner-spins": Cause("rq", "busy", ("score_packing", "plan_van_load"), "rq-horse",
                                    (("parcelhub.jobs.plan_load", ""),), ("Worker", "RoundRobinWorker")),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), "pool-child", styles=("prefork",),
                                       hung_sibling="label-template-http-silent"),
    "healthy-celery-master": Cause("celery", "idle", (), "celery-master", styles=("prefork",),
                                   hung_sibling="manifest-journal-flock"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), "celery-worker", styles=("threads",)),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), "gunicorn-arbiter", styles=("sync", "gthread"),
                                      hung_sibling="depot-beacon-recv"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), "gunicorn-worker", styles=("sync",),
                                          hung_sibling="geocoder-ready-never-set"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), "gunicorn-worker", styles=("gthread",)),
    "healthy-rq-worker": Cause("rq", "idle", (), "rq-worker", styles=("Worker", "RoundRobinWorker")),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), "rq-worker", styles=("Worker", "RoundRobinWorker"),
                                             hung_sibling="invoice-gateway-silent"),
}


@dataclass(frozen=True)
class Variant:
    index: int
    cause: str
    python: str
    native: bool
    style: str
    root_kind: str
    release: str
    options: tuple[tuple[str, object], ...]

    @property
    def file_name(self) -> str:
        return f"{self.index:04d}-{self.cause}-py{self.python.replace('.', '')}{'-native' if self.native else ''}.json"


def noise(rng: random.Random, framework: str, style: str) -> dict[str, object]:
    if framework == "celery":
        opts = {"concurrency": rng.randint(2, 3) if style == "prefork" else rng.randint(2, 4),
                "max_tasks_per_child": rng.choice([0, 0, 50, 200]), "fair": rng.random() < 0.4,
                "loglevel": rng.choice(["INFO", "WARNING"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 300, 900]),
                "warm": rng.random() < 0.6}
    else:
        opts = {"scheduler": rng.random() < 0.4, "queue": rng.choice(["invoicing", "default", "planning"])}
    opts["pick"] = rng.randint(0, 7)
    return opts


def plan(per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    rng = random.Random(seed)
    variants = []
    for name in only or list(CAUSES):
        cause = CAUSES[name]
        natives = set(rng.sample(range(per_cause), int(per_cause * 0.3 + rng.random())))
        offset = rng.randrange(len(pythons))
        for k in range(per_cause):
            style = cause.styles[k % len(cause.styles)]
            variants.append(Variant(0, name, pythons[(k + offset) % len(pythons)], k in natives, style,
                                    rng.choice(["srv", "opt"]), rng.choice(list(PACKAGE.releases)),
                                    tuple(sorted(noise(rng, cause.framework, style).items()))))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_session(sid: int) -> None:
    """SIGKILL every process of the run's session (the RQ horse makes a process group of its own)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "parcelhub.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"parcels{v.index}@%h"]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        workers = 1 if len(cause.send) > 1 else opts["workers"]  # both deadlocking requests on one worker
        cmd = [python, "-m", "gunicorn", "-c", "python:parcelhub.gunicorn_conf", "-w", str(workers),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"])]
        if v.style == "gthread":
            cmd += ["--threads", str(opts["threads"])]
        return [*cmd, "parcelhub.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"depot-{v.index}"]
    if opts["scheduler"]:
        cmd.append("--with-scheduler")
    return [*cmd, opts["queue"]]


def expected_startup(v: Variant, cause: Cause) -> int:
    """How many READY reports a framework prints before it serves."""
    opts = dict(v.options)
    if cause.framework == "celery":
        return 1 + (opts["concurrency"] if v.style == "prefork" else 0)
    if cause.framework == "gunicorn":
        return 1 + (1 if len(cause.send) > 1 else opts["workers"])
    return 0


def send(v: Variant, cause: Cause, port: int, broker: str, clients: list) -> None:
    """Make the cause's task / request / job hang."""
    opts = dict(v.options)
    for target, arg in cause.send:
        arg = arg.format(i=v.index)
        if cause.framework == "celery":
            os.environ["PARCELHUB_BROKER"] = broker  # one broker for the whole run
            import parcelhub.worker as tasks  # the generator's own copy: the worker's task names

            getattr(tasks, target).delay(arg)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            client.sendall(f"GET {target.format(i=v.index)} HTTP/1.1\r\nHost: depot.parcelhub\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            args = (arg, [{"sku": f"S{n}", "qty": n + 1} for n in range(3)]) if arg else (
                [random.Random(v.index).randint(3, 40) for _ in range(9)],)
            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def warm_request(port: int) -> None:
    """One quick request read to its end: a gthread worker then has an idle pool thread."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: depot.parcelhub\r\nConnection: close\r\n\r\n")
        while c.recv(4096):
            pass


def wait_rq_registered(broker: str, deadline: float) -> None:
    from redis import Redis

    r = Redis.from_url(broker)
    while not r.scard("rq:workers"):
        if time.monotonic() > deadline:
            raise NotSettled("the RQ worker never registered")
        time.sleep(0.1)


def settle_of(report: dict) -> list:
    entries = [[report["pid"], report["tid"], report["kind"]]]
    return entries  # the GIL hog's heartbeat wakes every switch interval: never settled, not named


def run_variant(v: Variant, roots: Roots, captures: Path, broker_of: Broker, capturer, versions: dict) -> dict:
    cause = CAUSES[v.cause]
    python = f"/tmp/b16-venv{VENVS[v.python]}/bin/python"
    install = roots.get(v.root_kind, v.release, v.python, python)
    broker = broker_of.get()
    from redis import Redis

    Redis.from_url(broker).flushall()
    tmp = Path(tempfile.mkdtemp(prefix="parcelhub-"))
    proc = None
    clients: list = []
    try:
        with upstreams(tmp) as ends:
            port = free_port()
            opts = dict(v.options)
            env = program_env(TMPDIR=str(tmp), PYTHONPATH=install.pythonpath, PARCELHUB_BROKER=broker,
                              PARCELHUB_OPTS=json.dumps({"port": ends["port"], "lock_path": ends["lock_path"]}),
                              PARCELHUB_TASK_ROLE="celery-worker" if v.style == "threads" else "pool-child",
                              PARCELHUB_MASTER_ROLE="celery-worker" if v.style == "threads" else "celery-master")
            proc = launch(command(v, cause, python, port, broker), env, tmp)
            reports = ready_reports(proc, time.monotonic() + 90)
            try:
                startup = [next(reports) for _ in range(expected_startup(v, cause))]
                if cause.framework == "rq":
                    wait_rq_registered(broker, time.monotonic() + 60)
                    startup = [{"pid": proc.pid, "tid": proc.pid, "kind": "blocked", "role": "rq-worker",
                                "python": ""}]
                if cause.framework == "gunicorn" and opts["warm"] and not cause.send:
                    warm_request(port)
                hanging = CAUSES[cause.hung_sibling] if cause.hung_sibling else cause
                send(v, hanging, port, broker, clients)
                hung = [next(reports) for _ in hanging.send]
            except NotSettled as exc:
                raise NotSettled(f"{exc}: {(tmp / 'stderr.txt').read_text()[-800:]}") from None
            hung_pids = {r["pid"] for r in hung}
            if cause.culprits:
                target = {"pid": hung[0]["pid"], "settle": [e for r in hung for e in settle_of(r)]}
            else:
                pool = [r for r in startup if r["role"] == cause.role and r["pid"] not in hung_pids] or \
                    [r for r in startup if r["role"] == cause.role]
                if cause.role == "rq-worker":
                    pool = [{**r, "kind": "wait4" if hung else "blocked"} for r in pool]
                if not pool:
                    raise NotSettled(f"no {cause.role} among {startup}")
                chosen = pool[opts["pick"] % len(pool)]
                target = {"pid": chosen["pid"], "settle": settle_of(chosen) + [e for r in hung for e in settle_of(r)]}
            wait_settled(target, timeout=40, polls=4)
            capturer.take(target["pid"], v.native, cause.culprits, captures / v.file_name)
    finally:
        for c in clients:
            c.close()
        if proc is not None:
            kill_session(proc.pid)
            kill_group(proc)
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "cause": v.cause, "category": cause.category, "culprit_function": cause.culprits[0] if cause.culprits else None,
        "culprit_functions": list(cause.culprits), "healthy": not cause.culprits, "kind": capturer.kind,
        "native": v.native, "python": v.python, "python_version": versions[v.python], "framework": cause.framework,
        "harness": f"{cause.framework}-{v.style}", "mode": v.style, "role": cause.role or (
            "celery-worker" if v.style == "threads" else "pool-child"),
        "hung_sibling": bool(cause.hung_sibling), "install_root": install.site, "release": v.release,
        "options": dict(v.options),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind16")
    parser.add_argument("--per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /srv and /opt install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind16")
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
    broker_dir = Path(tempfile.mkdtemp(prefix="parcelhub-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
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
