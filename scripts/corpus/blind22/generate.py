#!/usr/bin/env python3
"""Generate the twenty-second held-out corpus (fixtures/corpus_blind22/) from real hangs inside worker frameworks.

invigil (scripts/corpus/blind22/app/invigil/) is the backend of an online exam & proctoring platform (proctor
video chunk transcoding, proctors' mail replies, plagiarism checks, identity checks against a watchlist and an
identity vendor, certificate PDFs, accommodation timers, exam-room seating, answer-sheet exports, invitation
bounces, LMS grade sync), written without reading the analysis rules. It is deployed, for real, on:

* celery 5 (`python -m celery -A invigil.worker worker`), prefork (-c 2..3, sometimes --max-tasks-per-child,
  -O fair) or threads (-P threads -c 2..4), broker and result backend a real redis-server this generator starts
  on a free loopback port; tasks are sent with `.delay()` (or `.apply_async(queue=...)` with -Q);
* gunicorn (`python -m gunicorn -c python:invigil.gunicorn_conf invigil.web:app`), sync (-w 2..3) or
  gthread (--threads 2..4) workers; requests are sent on a raw socket left open (the client never reads);
* RQ (`python -m rq.cli worker`): the default forking Worker or RoundRobinWorker (a work horse runs the job) or
  SimpleWorker (the job runs in the worker itself), sometimes --with-scheduler; jobs enqueued by dotted path.

The frameworks run from the scratch virtualenvs /tmp/b16-venv{310,311,312,313} (CPython 3.10 .. 3.13 pyenv
builds with celery[redis] 5.7.0, gunicorn 27.0.1, rq 3.0.0; see scripts/corpus/blind16/generate.py), read-only,
and the application from an install root: /opt/invigil/<release>/py<py>/lib or
/srv/exams/invigil-<release>-cp<py>/site-packages (a `pip install --target`-like tree with redis-py beside
invigil), on PYTHONPATH; releases 2.7.0 and 2.8.1 (the same code with comment lines inserted). The harness is
blind20's generate.py, copied (launch, READY reports, the settle wait on /proc syscalls, capture, kill of the
whole session and of redis-server); the causes and the application are new. The process of the capture's role
is dumped once every thread its READY line names sits in its expected syscall: the hung pool child / celery
threads worker / gunicorn worker / RQ horse or SimpleWorker, or a healthy one: an idle pool child beside a hung
sibling, the celery master (with a hung child), an idle threads-pool worker, the gunicorn arbiter (with a hung
worker), an idle sync worker (with a hung sibling) or gthread worker, an idle RQ worker, the RQ worker waiting on
its hung horse. Capture: `py-spy dump --json` (default) or a live `hangdump collect --json --no-store`
(--capture hangdump), ~30% --native.

    .venv/bin/python scripts/corpus/blind22/generate.py --out /tmp/b22 --only bounce-pop3-silent
    .venv/bin/python scripts/corpus/blind22/generate.py                       # -> fixtures/corpus_blind22/
    .venv/bin/python scripts/corpus/blind22/generate.py --capture hangdump --hangdump /tmp/b22frozenvenv/bin/hangdump
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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
_b16 = sibling_generator("blind16")
kill_group, wait_settled, upstreams = _b2.kill_group, _b2.wait_settled, _b2.upstreams
Broker, ready_reports = _b4.Broker, _b4.ready_reports
add_capture_options, chosen_capture = _b4.add_capture_options, _b4.chosen_capture
free_port, kill_session = _b16.free_port, _b16.kill_session

APP = HERE / "app" / "invigil"
PACKAGE = Package(
    source=APP, releases={"2.7.0": 0, "2.8.1": 3}, scripts={},
    layout={"opt": ("opt/invigil/{release}/py{py}", "lib"),
            "srv": ("srv/exams/invigil-{release}-cp{py}", "site-packages")},
    source_version="2.7.0",
)
VENVS = {"3.10": "310", "3.11": "311", "3.12": "312", "3.13": "313"}


@dataclass(frozen=True)
class Cause:
    framework: str  # celery / gunicorn / rq
    category: str
    culprits: tuple[str, ...] = ()
    send: tuple[tuple[str, tuple], ...] = ()  # (task / path / job, arguments) sent to make it hang, in order
    styles: tuple[str, ...] = ()  # the framework flavours it runs on (pool, worker class), alternated
    role: str = ""  # the captured process; "" = the hung one (decided by the style)
    hung_sibling: str = ""  # a healthy role captured beside a hung one: the cause whose send hangs it


RQW = ("Worker", "SimpleWorker", "RoundRobinWorker")
CAUSES: dict[str, Cause] = {
    # celery: the hung pool child (prefork) or the threads-pool worker
    "proctor-transcode-pipe-full": Cause("celery", "subprocess-wait", ("transcode_video_chunk",),
                                         (("transcode_chunk", ("sess-{i}", 3)),), ("prefork", "threads")),
    "plagiarism-subtask-get-unconsumed": Cause("celery", "pool-wait", ("await_similarity",),
                                               (("score_submission", ("sub-{i}",)),), ("prefork", "threads")),
    "identity-watchlist-lock-order": Cause("celery", "deadlock", ("verify_id_photo", "refresh_watchlist"),
                                           (("verify_identity", ("cand-{i}",)), ("sync_watchlist", ("interpol-{i}",))),
                                           ("threads",)),
    "certificate-seal-holds-gil": Cause("celery", "gil", ("rasterize_certificate",),
                                        (("issue_certificate", ("cand-{i}",)),), ("prefork",)),
    "accommodation-condition-never-notified": Cause("celery", "condition-wait", ("wait_for_accommodation_approval",),
                                                    (("start_accommodated_timer", ("cand-{i}",)),),
                                                    ("prefork", "threads")),
    # gunicorn: the hung worker
    "proctor-replies-imap-silent": Cause("gunicorn", "io-read", ("fetch_proctor_replies",),
                                         (("/proctor/replies/exam-{i}", ()),), ("sync", "gthread")),
    "identity-risk-redis-silent": Cause("gunicorn", "io-read", ("lookup_identity_risk",),
                                        (("/identity/cand-{i}", ()),), ("gthread", "sync")),
    "exam-seating-lock-order": Cause("gunicorn", "deadlock", ("assign_exam_seat", "release_exam_seat"),
                                     (("/seats/assign/c{i}", ()), ("/seats/release/c{i}", ())), ("gthread",)),
    "answer-export-flock": Cause("gunicorn", "flock", ("export_answer_sheets",),
                                 (("/answers/export/exam-{i}", ()),), ("sync", "gthread")),
    # RQ: the work horse (or the SimpleWorker itself)
    "plagiarism-shingle-spin": Cause("rq", "busy", ("scan_shingles",),
                                     (("invigil.jobs.check_plagiarism", ("sub-{i}", "the answer is " * 3 + "forty two")),),
                                     RQW),
    "bounce-pop3-silent": Cause("rq", "io-read", ("pull_bounce_reports",),
                                (("invigil.jobs.collect_bounces", ("exam-{i}",)),), RQW),
    "certificate-renderer-stdin-open": Cause("rq", "subprocess-wait", ("render_certificate_batch",),
                                             (("invigil.jobs.issue_cohort_certificates", ("cohort-{i}",)),), RQW),
    "lms-grade-push-retry-forever": Cause("rq", "io-read", ("push_grades_to_lms",),
                                          (("invigil.jobs.sync_lms_grades", ("course-{i}", {"c1": 71})),), RQW),
    # healthy processes
    "healthy-celery-pool-child": Cause("celery", "idle", (), styles=("prefork",), role="pool-child",
                                       hung_sibling="proctor-transcode-pipe-full"),
    "healthy-celery-master": Cause("celery", "idle", (), styles=("prefork",), role="celery-master",
                                   hung_sibling="certificate-seal-holds-gil"),
    "healthy-celery-threads-worker": Cause("celery", "idle", (), styles=("threads",), role="celery-worker"),
    "healthy-gunicorn-arbiter": Cause("gunicorn", "idle", (), styles=("sync", "gthread"), role="gunicorn-arbiter",
                                      hung_sibling="proctor-replies-imap-silent"),
    "healthy-gunicorn-sync-worker": Cause("gunicorn", "idle", (), styles=("sync",), role="gunicorn-worker",
                                          hung_sibling="answer-export-flock"),
    "healthy-gunicorn-gthread-worker": Cause("gunicorn", "idle", (), styles=("gthread",), role="gunicorn-worker"),
    "healthy-rq-worker": Cause("rq", "idle", (), styles=RQW, role="rq-worker"),
    "healthy-rq-parent-of-hung-horse": Cause("rq", "idle", (), styles=("Worker", "RoundRobinWorker"),
                                             role="rq-worker", hung_sibling="bounce-pop3-silent"),
}


def hung_role(framework: str, style: str) -> str:
    if framework == "celery":
        return "celery-worker" if style == "threads" else "pool-child"
    if framework == "gunicorn":
        return "gunicorn-worker"
    return "rq-worker" if style == "SimpleWorker" else "rq-horse"


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
                "max_tasks_per_child": rng.choice([0, 0, 25, 100]), "fair": rng.random() < 0.45,
                "loglevel": rng.choice(["INFO", "WARNING", "ERROR"]), "queues": rng.choice(["", "grading"])}
    elif framework == "gunicorn":
        opts = {"workers": rng.randint(2, 3), "threads": rng.randint(2, 4), "timeout": rng.choice([0, 600, 1200]),
                "warm": rng.random() < 0.6, "keepalive": rng.choice([2, 5])}
    else:
        opts = {"scheduler": rng.random() < 0.4, "queue": rng.choice(["default", "certificates", "proctoring"])}
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
                                    rng.choice(list(PACKAGE.layout)), rng.choice(list(PACKAGE.releases)),
                                    tuple(sorted(noise(rng, cause.framework, style).items()))))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def command(v: Variant, cause: Cause, python: str, port: int, broker: str) -> list[str]:
    opts = dict(v.options)
    if cause.framework == "celery":
        cmd = [python, "-m", "celery", "-A", "invigil.worker", "worker", "-P", v.style,
               "-c", str(opts["concurrency"]), "--without-heartbeat", "--without-mingle", "--without-gossip",
               "-l", opts["loglevel"], "-n", f"exams{v.index}@%h"]
        if opts["queues"]:
            cmd += ["-Q", opts["queues"]]
        if opts["max_tasks_per_child"] and v.style == "prefork":
            cmd += ["--max-tasks-per-child", str(opts["max_tasks_per_child"])]
        if opts["fair"] and v.style == "prefork":
            cmd += ["-O", "fair"]
        return cmd
    if cause.framework == "gunicorn":
        workers = 1 if len(cause.send) > 1 else opts["workers"]  # both deadlocking requests on one worker
        cmd = [python, "-m", "gunicorn", "-c", "python:invigil.gunicorn_conf", "-w", str(workers),
               "-k", v.style, "-b", f"127.0.0.1:{port}", "--timeout", str(opts["timeout"]),
               "--keep-alive", str(opts["keepalive"])]
        if v.style == "gthread":
            cmd += ["--threads", str(max(opts["threads"], len(cause.send)))]
        return [*cmd, "invigil.web:app"]
    cmd = [python, "-m", "rq.cli", "worker", "-u", broker, "-w", f"rq.worker.{v.style}",
           "--worker-ttl", "600", "-n", f"proctoring-{v.index}"]
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
    for target, args in cause.send:
        args = tuple(a.format(i=v.index) if isinstance(a, str) else a for a in args)
        if cause.framework == "celery":
            import invigil.worker as tasks  # the generator's own copy: the worker's task names

            task = getattr(tasks, target)
            if opts["queues"]:  # the worker consumes -Q grading only
                task.apply_async(args, queue=opts["queues"])
            else:
                task.delay(*args)
        elif cause.framework == "gunicorn":
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            client.sendall(f"GET {target.format(i=v.index)} HTTP/1.1\r\nHost: api.invigil.test\r\n\r\n".encode())
            clients.append(client)  # kept open, never read
        else:
            from redis import Redis
            from rq import Queue

            Queue(opts["queue"], connection=Redis.from_url(broker)).enqueue(target, *args, job_timeout=3600)


def warm_request(port: int) -> None:
    """One quick request read to its end: a gthread worker then has an idle pool thread."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: api.invigil.test\r\nConnection: close\r\n\r\n")
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
    # a GIL hog sleeps in native code (the thread that wants the GIL is not named)
    return [[report["pid"], report["tid"], report["kind"]]]


def run_variant(v: Variant, roots: Roots, captures: Path, broker_of: Broker, capturer, versions: dict) -> dict:
    cause = CAUSES[v.cause]
    python = f"/tmp/b16-venv{VENVS[v.python]}/bin/python"
    install = roots.get(v.root_kind, v.release, v.python, python)
    broker = broker_of.get()
    from redis import Redis

    Redis.from_url(broker).flushall()
    tmp = Path(tempfile.mkdtemp(prefix="invigil-"))
    proc = None
    clients: list = []
    role = cause.role or hung_role(cause.framework, v.style)
    try:
        with upstreams(tmp) as ends:
            port = free_port()
            opts = dict(v.options)
            env = program_env(TMPDIR=str(tmp), PYTHONPATH=install.pythonpath, INVIGIL_BROKER=broker,
                              INVIGIL_OPTS=json.dumps({"port": ends["port"], "lock_path": ends["lock_path"]}),
                              INVIGIL_ROLE=hung_role(cause.framework, v.style),
                              INVIGIL_TASK_ROLE="celery-worker" if v.style == "threads" else "pool-child",
                              INVIGIL_MASTER_ROLE="celery-worker" if v.style == "threads" else "celery-master")
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
            except (NotSettled, StopIteration) as exc:
                raise NotSettled(f"{exc!r}: {(tmp / 'stderr.txt').read_text()[-800:]}") from None
            hung_pids = {r["pid"] for r in hung}
            if cause.culprits:
                target = {"pid": hung[0]["pid"], "settle": [e for r in hung for e in settle_of(r)]}
            else:
                pool = [r for r in startup if r["role"] == role and r["pid"] not in hung_pids] or \
                    [r for r in startup if r["role"] == role]
                if role == "rq-worker":
                    pool = [{**r, "kind": "wait4" if hung else "blocked"} for r in pool]
                if not pool:
                    raise NotSettled(f"no {role} among {startup}")
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
        "harness": f"{cause.framework}-{v.style}", "mode": v.style, "role": role,
        "hung_sibling": bool(cause.hung_sibling), "install_root": install.site, "release": v.release,
        "options": dict(v.options),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind22")
    parser.add_argument("--per-cause", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261222)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /srv and /usr/local install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind22")
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
    broker_dir = Path(tempfile.mkdtemp(prefix="invigil-broker-"))
    sys.path.insert(0, str(APP.parent))
    roots, broker = Roots(PACKAGE, args.root_prefix), Broker(broker_dir)
    try:
        os.environ["INVIGIL_BROKER"] = broker.get()  # before the generator imports invigil.worker
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
