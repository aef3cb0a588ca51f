#!/usr/bin/env python3
"""Generate the fourth held-out corpus (fixtures/corpus_blind4/) from real hangs of domeops.

domeops (scripts/corpus/blind4/domeops/) is the night-operations agent of a robotic observatory (mount, dome,
filter wheel, CCD, guider, weather mast, archive), written without reading the analysis rules. Each capture
runs one of its tasks for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds); install roots under /opt, /srv, a virtualenv under /var/lib and a
  user site under /home; releases 2.4.0 and 2.4.1 (2.4.1 = the same code with comment lines inserted);
* entry: the `domeops-night` console script, `python -m domeops.runner`, or the `domeops-ctl` console
  script (retry and timing decorators); the task runs in the main thread, in a task thread the main thread
  joins, `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: lease keepalive sleep loops, a metrics flusher on Event.wait(timeout), an idle upload pool,
  spent threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit;
* frameworks: a real gunicorn (sync workers, the operator web API) and a real celery prefork worker (a
  redis-server broker the generator starts), on the checkout's virtualenv interpreter (the one with gunicorn,
  celery and redis-py; so run this generator with it): a worker or pool child dumped idle or hung in a
  handler/task, or the arbiter / celery master.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is dumped with the real `py-spy dump --json --pid P [--native]`
(about 30% native); with `--capture hangdump` it is captured live the way a hangdump user does, with the
real `hangdump collect --pid P --json --no-store [--native]` (a hangdump.capture/1 document: the py-spy stacks
and each thread's kernel state), into fixtures/corpus_blind4_live/. What is shared with the second corpus's
generator (settling, the black-hole upstreams, the release line shifts) is imported from it; realrun.py has the
launch and capture loop.

    .venv/bin/python scripts/corpus/blind4/generate.py                          # -> fixtures/corpus_blind4/
    .venv/bin/python scripts/corpus/blind4/generate.py --per-cause 1 --out /tmp/b4 --only observing-log-flock
    .venv/bin/python scripts/corpus/blind4/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import select
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

from realrun import NotSettled, capture_all, launch, program_env, sibling_generator, write_console_script

_b2 = sibling_generator("blind2")
kill_group, python_interpreters, read_ready = _b2.kill_group, _b2.python_interpreters, _b2.read_ready
wait_settled, upstreams, shifted = _b2.wait_settled, _b2.upstreams, _b2.shifted

APP = HERE / "domeops"
PY_SPY = Path(os.environ.get("PY_SPY") or REPO / ".venv" / "bin" / "py-spy")


@dataclass(frozen=True)
class Cause:
    task: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame(s) of the thread to blame first
    framework: str = ""  # "gunicorn" / "celery": a real server of that framework, one of its processes dumped
    role: str = "main"  # the process dumped: main, or a framework's gunicorn-worker / gunicorn-arbiter / pool-child /
    # celery-master


CAUSES: dict[str, Cause] = {
    "mount-dome-lock-order": Cause("night-slew", "deadlock", ("align_slit", "park_axes", "slew_mount", "rotate_dome")),
    "filter-wheel-never-notified": Cause("filter-change", "condition-wait", ("await_filter_position",)),
    "adc-readout-died": Cause("ccd-readout", "queue-wait", ("assemble_frames",)),
    "weather-mast-recv": Cause("weather-sample", "io-read", ("read_wind_sample",)),
    "guider-readline-restart-join": Cause("guider-restart", "io-read", ("read_guide_packet",)),
    "archive-put-no-response": Cause("archive-push", "io-read", ("push_night_manifest",)),
    "solver-connect-backlog": Cause("plate-solve", "io-read", ("open_solver_session",)),
    "flat-stacker-never-exits": Cause("build-flats", "subprocess-wait", ("build_master_flat",)),
    "observing-log-flock": Cause("log-observation", "flock", ("append_observing_log",)),
    "pointing-model-diverges": Cause("pointing-refine", "busy", ("pointing_residual", "refine_pointing_model")),
    "tec-driver-holds-gil": Cause("cooler-setpoint", "gil", ("set_ccd_setpoint",)),
    "seeing-pool-worker-stuck": Cause("seeing-estimate", "pool-wait", ("estimate_seeing",)),
    "ephemeris-await-never-answers": Cause("ephemeris-refresh", "io-read", ("refresh_ephemeris", "fetch_ephemeris")),
    "healthy-exposure-pool": Cause("exposure-service", "idle", ()),
    "healthy-frame-consumers": Cause("frame-consumers", "idle", ()),
    "healthy-telemetry-asyncio": Cause("telemetry-bus", "idle", ()),
    "healthy-dome-watchdog": Cause("dome-watchdog", "idle", ()),
    "gunicorn-target-lookup-silent": Cause("/targets/ngc7000", "io-read", ("resolve_target",), "gunicorn",
                                           "gunicorn-worker"),
    "healthy-gunicorn-sync-worker": Cause("", "idle", (), "gunicorn", "gunicorn-worker"),
    "healthy-gunicorn-arbiter": Cause("", "idle", (), "gunicorn", "gunicorn-arbiter"),
    "celery-reduction-slot-blpop": Cause("domeops.reduce_night", "io-read", ("claim_reduction_slot",), "celery",
                                         "pool-child"),
    "healthy-celery-pool-child": Cause("", "idle", (), "celery", "pool-child"),
    "healthy-celery-master": Cause("", "idle", (), "celery", "celery-master"),
}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
# gunicorn, celery and redis-py are installed in the checkout's virtualenv only: the framework cases run on it
FRAMEWORK_PYTHON = REPO / ".venv" / "bin" / "python"
RELEASES = {"2.4.0": 0, "2.4.1": 7}  # shift seed: 2.4.1 has comment/blank lines inserted
HARNESSES = {"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1}
ENTRIES = {"console-script": 4, "runpy": 3, "ctl": 2}
SCRIPTS = {"domeops-night": "domeops.cli", "domeops-ctl": "domeops.ctl"}
TOPS = ("opt/domeops", "srv/observatory", "var/lib/domeops", "home/astro")


@dataclass(frozen=True)
class Variant:
    index: int
    cause: str
    python: str
    native: bool
    how: str
    entry: str
    root_kind: str
    release: str
    options: tuple[tuple[str, object], ...]

    @property
    def file_name(self) -> str:
        return f"{self.index:04d}-{self.cause}-py{self.python.replace('.', '')}{'-native' if self.native else ''}.json"


class Roots:
    """Install roots made on demand under `prefix`; `cleanup()` removes the top directories this run made."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.made: dict[tuple[str, str, str, bool], tuple[str, Path, str | None, str]] = {}
        self.fresh = [prefix / top for top in TOPS if not (prefix / top).exists()]

    def get(self, kind: str, release: str, python: str, base: str, web: bool = False) -> tuple[str, Path, str | None, str]:
        """(interpreter, bin directory of the console scripts, PYTHONPATH or None, import root) of one install;
        `web`: the web/queue tier, deployed apart on the interpreter that has the frameworks."""
        key = (kind, release, python, web)
        if key in self.made:
            return self.made[key]
        p, py, tier = self.prefix, python.replace(".", ""), "web-" if web else ""
        exe = base
        if kind == "opt":
            home = p / "opt" / "domeops" / f"{tier}{release}"
            site = home / "lib" / f"python{python}" / "site-packages"
        elif kind == "srv":
            home = p / "srv" / "observatory" / "releases" / f"domeops-{tier}{release}+cp{py}"
            site = home / "app"
        elif kind == "venv":
            home = p / "var" / "lib" / "domeops" / "venvs" / f"night-{release}-cp{py}"
            home.parent.mkdir(parents=True, exist_ok=True)
            if not (home / "bin" / "python").exists():
                subprocess.run([base, "-m", "venv", "--without-pip", str(home)], check=True)
            site, exe = home / "lib" / f"python{python}" / "site-packages", str(home / "bin" / "python")
        else:
            home = p / "home" / "astro" / ".local" / f"domeops-{tier}{release}"
            site = home / "lib" / f"python{python}" / "site-packages"
        site.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(site / "domeops", ignore_errors=True)
        for src in sorted(APP.glob("*.py")):
            target = site / "domeops" / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            seed = RELEASES[release]
            target.write_text(shifted(src.read_text(), seed * 131 + len(src.name) if seed else 0))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in SCRIPTS.items():
            write_console_script(bindir / name, exe, module)
        # a virtualenv finds its own site-packages; the other roots are put on PYTHONPATH by their units
        self.made[key] = (exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 2, 4, 9, 17]),
        "keepalives": rng.choice([0, 1, 1, 2, 3]),
        "keepalive_name": rng.choice(["lease", "keepalive", "hb", "presence"]),
        "keepalive_every": rng.choice([0.5, 3.0, 15.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["metrics", "influx-flush", "statsd", f"Thread-{rng.randint(2, 45)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 30.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 4]),
        "upload_prefix": rng.choice(["", "fits-upload", "s3", "ThreadPoolExecutor-9"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 64),
        "pool_prefix": rng.choice(["", "expose", "cam", "w"]),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 40)}", "night-task", f"Thread-{rng.randint(1, 70)}"]),
        "task_prefix": rng.choice(["", "tasks", "night"]),
        "supervise_every": rng.choice([0.5, 2.0, 5.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
        "band": rng.choice(["OIII", "SII"]),
    }


def plan(per_cause: int, framework_per_cause: int, pythons: list[str], framework_python: str, seed: int,
         only: list[str]) -> list[Variant]:
    """Every variant, spread evenly over the interpreters (the framework ones on the virtualenv's); 30% native."""
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        framework = CAUSES[cause].framework
        n = framework_per_cause if framework else per_cause
        natives = set(rng.sample(range(n), round(n * 0.3)))
        offset = rng.randrange(len(pythons))
        for k in range(n):
            variants.append(Variant(
                index=0, cause=cause, python=framework_python if framework else pythons[(k + offset) % len(pythons)],
                native=k in natives, how=framework or rng.choices(list(HARNESSES), list(HARNESSES.values()))[0],
                entry=framework or rng.choices(list(ENTRIES), list(ENTRIES.values()))[0],
                # a new virtualenv would not have the framework: its roots are on PYTHONPATH
                root_kind=rng.choices(["opt", "srv", "venv", "home"], [30, 25, 0 if framework else 30, 15])[0],
                release=rng.choice(list(RELEASES)), options=tuple(sorted(noise(rng).items())),
            ))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def ready_reports(proc: subprocess.Popen, deadline: float):
    """Every READY report on the program's stdout (a framework's worker processes share it), as they come."""
    fd, pending = proc.stdout.fileno(), b""
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.2)[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.startswith(b"READY "):
                yield json.loads(line[len(b"READY "):])
    raise NotSettled("no READY report before the deadline (or the program exited)")


class Broker:
    """A real redis-server on a free loopback port (no persistence) for the celery cases, started on first use."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def get(self) -> str:
        if self.proc is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                          "--appendonly", "no", "--dir", str(self.workdir)], stdout=subprocess.DEVNULL,
                                         start_new_session=True)
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        break
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not answer PING")
                time.sleep(0.1)
            self.url = f"redis://127.0.0.1:{port}/0"
        return self.url

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def start_framework(v: Variant, cause: Cause, exe: str, env: dict[str, str], ends: dict, tmp: Path,
                    broker: Broker) -> tuple[subprocess.Popen, dict]:
    """A real gunicorn (sync workers) or celery (prefork pool) serving domeops; once every worker reported in,
    the hanging request or task is sent. (program, READY report of the process to dump)."""
    opts = dict(v.options)
    workers = opts["workers"]
    if cause.framework == "gunicorn":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [exe, "-m", "gunicorn", "-c", "python:domeops.gunicorn_conf", "-w", str(workers), "-b",
               f"127.0.0.1:{port}", "domeops.webapi:app"]
        env.update(DOMEOPS_CATALOG_PORT=str(ends["port"]))
    else:
        cmd = [exe, "-m", "celery", "-A", "domeops.nightqueue", "worker", "--pool=prefork", f"--concurrency={workers}",
               "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
        env.update(DOMEOPS_BROKER=broker.get())
    env.update(DOMEOPS_OPTS=json.dumps(opts))
    proc = launch(cmd, env, tmp)
    reports = ready_reports(proc, time.monotonic() + 90)
    first = [next(reports) for _ in range(workers)][opts["unit"] % workers]
    if cause.role in ("gunicorn-arbiter", "celery-master"):
        return proc, {**first, "capture_pid": proc.pid, "settle": [[proc.pid, proc.pid, "blocked"]]}
    if not cause.culprits:
        return proc, first
    if cause.framework == "gunicorn":
        client = socket.create_connection(("127.0.0.1", port), timeout=30)
        client.sendall(f"GET {cause.task} HTTP/1.1\r\nHost: domeops\r\n\r\n".encode())
        ends["client"] = client
    else:
        from celery import Celery

        Celery(broker=env["DOMEOPS_BROKER"]).send_task(cause.task, args=[f"2026-12-{v.index:04d}"],
                                                       kwargs={"frames": [f"f{n}" for n in range(opts["rows"])]})
    return proc, next(reports)


@dataclass(frozen=True)
class Capturer:
    """How a settled process is captured: a raw py-spy dump (`kind` py-spy: what `hangdump import` takes from
    another host) or a live `hangdump collect` of the whole process (`kind` collect: stacks and kernel state)."""

    kind: str
    tool: str

    def command(self, pid: int, native: bool) -> list[str]:
        flag = ["--native"] if native else []
        if self.kind == "collect":
            return [self.tool, "collect", "--pid", str(pid), "--json", "--no-store", *flag]
        return [self.tool, "dump", "--json", "--pid", str(pid), *flag]

    def take(self, pid: int, native: bool, culprits, path: Path) -> None:
        """Capture the settled process into ``path``; NotSettled when the tool fails or no culprit is on a stack."""
        done = subprocess.run(self.command(pid, native), check=False, capture_output=True, timeout=120)
        text = done.stdout.decode()
        if done.returncode != 0 or not text.strip():
            raise NotSettled(f"{self.kind} failed ({done.returncode}): {done.stderr.decode()[-600:]}")
        if culprits and not self.function_names(text) & set(culprits):
            raise NotSettled(f"none of {list(culprits)} is on a captured stack")
        path.write_text(text)

    def function_names(self, text: str) -> set[str]:
        """The function names on every captured stack (py-spy's frames say `name`, a capture's `function`)."""
        doc = json.loads(text)
        threads, key = (doc["threads"], "function") if self.kind == "collect" else (doc, "name")
        return {fr[key].rsplit(".", 1)[-1] for t in threads for fr in t.get("frames", [])}


def add_capture_options(parser: argparse.ArgumentParser, corpus: str) -> None:
    """--out, --capture and --hangdump, as every generator built on this one takes them."""
    parser.add_argument("--out", type=Path, help=f"default: fixtures/{corpus}, or {corpus}_live with "
                        "--capture hangdump")
    parser.add_argument("--capture", choices=["py-spy", "hangdump"], default="py-spy",
                        help="py-spy: a raw `py-spy dump --json` per capture; hangdump: a live `hangdump collect "
                        "--json --no-store` of the process, as a hangdump user captures")
    parser.add_argument("--hangdump", default="hangdump", help="the hangdump executable for --capture hangdump")


def chosen_capture(args: argparse.Namespace, corpus: str) -> tuple[Capturer, Path]:
    """The capturer and the corpus directory the options of ``add_capture_options`` ask for."""
    live = args.capture == "hangdump"
    capturer = Capturer("collect", args.hangdump) if live else Capturer("py-spy", str(PY_SPY))
    return capturer, args.out or REPO / "fixtures" / (f"{corpus}_live" if live else corpus)


def run_variant(v: Variant, roots: Roots, pythons: dict[str, str], captures: Path, broker: Broker,
                capturer: Capturer) -> dict:
    """Run one variant, capture it into captures/, return its label."""
    cause = CAUSES[v.cause]
    base = str(FRAMEWORK_PYTHON) if cause.framework else pythons[v.python]
    exe, bindir, pythonpath, site = roots.get(v.root_kind, v.release, v.python, base, web=bool(cause.framework))
    tmp = Path(tempfile.mkdtemp(prefix="domeops-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            if cause.framework:
                try:
                    proc, info = start_framework(v, cause, exe, env, ends, tmp, broker)
                except NotSettled as exc:
                    raise NotSettled(f"{exc}: {(tmp / 'stderr.txt').read_text()[-600:]}") from None
            else:
                args = [cause.task, "--how", v.how, "--opts", json.dumps(dict(v.options, **ends))]
                cmd = {"console-script": [str(bindir / "domeops-night"), *args],
                       "runpy": [exe, "-m", "domeops.runner", *args],
                       "ctl": [str(bindir / "domeops-ctl"), *args]}[v.entry]
                proc = launch(cmd, env, tmp)
                info, _ = read_ready(proc, time.monotonic() + 60)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
            wait_settled(info)
            capturer.take(info["capture_pid"], v.native, cause.culprits, captures / v.file_name)
            with contextlib.suppress(KeyError):
                ends["client"].close()
    finally:
        if proc is not None:
            kill_group(proc)
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "cause": v.cause, "category": cause.category, "culprit_function": cause.culprits[0] if cause.culprits else None,
        "culprit_functions": list(cause.culprits), "healthy": not cause.culprits, "kind": capturer.kind,
        "native": v.native, "python": v.python, "python_version": info["python"],
        "harness": v.entry if v.how == "inline" else v.how, "entry": v.entry, "mode": v.how,
        "install_root": site, "release": v.release, "role": cause.role,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind4")
    parser.add_argument("--per-cause", type=int, default=6)
    parser.add_argument("--framework-per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind4")
    # realpath: a virtualenv's python (ours) stands for its base interpreter
    pythons = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items() if k in SUPPORTED}
    framework_python = subprocess.run([FRAMEWORK_PYTHON, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                      check=True, capture_output=True, text=True).stdout.strip()
    variants = plan(args.per_cause, args.framework_per_cause, list(pythons), framework_python, args.seed, args.only)
    captures = out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    broker_dir = Path(tempfile.mkdtemp(prefix="domeops-broker-"))
    roots, broker = Roots(args.root_prefix), Broker(broker_dir)
    try:
        complete = capture_all(variants, lambda v: run_variant(v, roots, pythons, captures, broker, capturer),
                               out / "labels.json")
    finally:
        broker.stop()
        roots.cleanup()
        shutil.rmtree(broker_dir, ignore_errors=True)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
