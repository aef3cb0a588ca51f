#!/usr/bin/env python3
"""Generate the second held-out corpus (fixtures/corpus_blind2/) from real hangs of quaysync.

quaysync (scripts/corpus/blind2/quaysync/) is a container-terminal operations agent written without
looking at the analysis rules. Each capture runs one of its jobs for real in a fleet-like process:

* CPython 3.9 .. 3.13 (pyenv builds); the package installed under several roots (an /opt release
  tree, a /srv release directory, a virtualenv under /var/lib, a checkout under /home), releases
  that differ only by inserted blank/comment lines (shifted line numbers);
* entry: the `quaysync-agent` console script, `python -m quaysync.runner`, or the `quaysync-ops`
  console script (retry/timing decorators around the job); the job runs in the main thread, in a
  thread the main thread joins, `Event.wait`s for or polls with `join(timeout)`, or in an executor;
* bystanders: heartbeat threads, a metrics flusher, an idle I/O pool, spent threads that move the
  `Thread-N` counters, extra jobs queued behind the culprit, extra waiters, GIL waiters.

Once the READY line arrived and every thread it names sits in its expected syscall for several polls
(read from /proc), the process is dumped with the real `py-spy dump --json --pid P [--native]`
(about 30% native): the files `hangdump import` takes. Labels: fixtures/corpus_blind2/README.md.

    python scripts/corpus/blind2/generate.py                    # -> fixtures/corpus_blind2/
    python scripts/corpus/blind2/generate.py --per-cause 1 --out /tmp/b2 --only tide-solver-spin
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import re
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

from forensics.hangs import kill_group, python_interpreters, read_ready
from realrun import NotSettled, capture_all, launch, program_env, write_console_script

APP = HERE / "quaysync"
PY_SPY = Path(os.environ.get("PY_SPY") or REPO / ".venv" / "bin" / "py-spy")


@dataclass(frozen=True)
class Cause:
    job: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame of the thread to blame first
    role: str = "main"


CAUSES: dict[str, Cause] = {
    "berth-crane-lock-order": Cause("berth-allocation", "deadlock",
                                    ("reserve_crane_for", "free_berth_slot", "assign_berth", "release_crane")),
    "manifest-rlock-kept-by-pool-thread": Cause("manifest-seal", "lock-wait", ("seal_manifest",)),
    "gate-lane-lost-notify": Cause("gate-lanes", "condition-wait", ("claim_lane",)),
    "customs-clearance-never-set": Cause("customs-hold", "condition-wait", ("await_clearance",)),
    "reefer-producer-died": Cause("reefer-drain", "queue-wait", ("drain_readings",)),
    "tide-feed-join-on-recv": Cause("tide-feed-restart", "io-read", ("read_gauge",)),
    "alarm-watchers-never-stop": Cause("alarm-watch-stop", "join-wait", ("stop_alarm_watchers",)),
    "crane-plc-recv": Cause("crane-plc-poll", "io-read", ("poll_registers",)),
    "ais-connect-full-backlog": Cause("ais-stream", "io-read", ("open_stream",)),
    "customs-urlopen-silent": Cause("customs-declaration", "io-read", ("fetch_declaration",)),
    "tariff-httpclient-silent": Cause("tariff-sync", "io-read", ("pull_tariff_sheet",)),
    "edi-grandchild-holds-pipe": Cause("edi-convert", "subprocess-wait", ("convert_edi_batch",)),
    "yard-snapshot-pipe-full": Cause("yard-snapshot", "subprocess-wait", ("export_yard_snapshot",)),
    "yard-index-flock": Cause("yard-index", "flock", ("reindex_slots",)),
    "reefer-codec-holds-gil": Cause("reefer-decode", "gil", ("decode_compressor_frames",)),
    "tide-solver-spin": Cause("tide-solve", "busy", ("solve_harmonics",)),
    "codec-plugin-import-deadlock": Cause("codec-reload", "deadlock",
                                          ("register_codec", "rebuild_codec_index", "load_codec")),
    "telemetry-fork-held-lock": Cause("telemetry-ship", "lock-wait", ("ship_telemetry_batch",), "forked-child"),
    "eta-async-blocking-read": Cause("vessel-eta", "io-read", ("refresh_vessel_eta",)),
    "stowage-pool-waits-on-itself": Cause("stowage-plan", "pool-wait", ("plan_bay", "plan_all_bays")),
    "reprice-pool-worker-segfault": Cause("reprice", "pool-wait", ("reprice_containers",)),
    "gate-sqlite-open-transaction": Cause("gate-log", "lock-wait", ("record_gate_event",)),
    "healthy-crane-dispatch-pool": Cause("crane-dispatch", "idle", ()),
    "healthy-berth-scheduler": Cause("berth-schedule", "idle", ()),
    "healthy-gate-http-server": Cause("gate-api", "idle", ()),
    "healthy-eta-asyncio-consumers": Cause("eta-consumers", "idle", ()),
    "healthy-reefer-queue-consumers": Cause("reefer-consumers", "idle", ()),
    "healthy-quote-process-pool": Cause("pricing-pool", "idle", ()),
}

# The state a settled thread is in: the first field of /proc/PID/task/TID/syscall (x86_64 numbers).
SYSCALLS = {"futex": {202}, "recv": {0, 45}, "connect": {42}, "poll": {7, 271}, "wait4": {61}, "flock": {73},
            "sleep": {35, 230}}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
RELEASES = {"3.2.0": 0, "3.2.1": 5, "3.3.0": 9, "3.3.2": 14}
MODES = {"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 2}
ENTRIES = {"console-script": 4, "runpy": 3, "ops": 2}
SCRIPTS = {"quaysync-agent": "quaysync.cli", "quaysync-ops": "quaysync.ops"}
@dataclass(frozen=True)
class Variant:
    index: int
    cause: str
    python: str
    native: bool
    mode: str
    entry: str
    root_kind: str
    release: str
    options: tuple[tuple[str, object], ...]

    @property
    def file_name(self) -> str:
        return f"{self.index:04d}-{self.cause}-py{self.python.replace('.', '')}{'-native' if self.native else ''}.json"


def shifted(text: str, seed: int) -> str:
    """The same module with comment/blank lines inserted before some statements: only line numbers move."""
    if not seed:
        return text
    rng = random.Random(seed)
    out = []
    for line in text.splitlines(keepends=True):
        m = re.match(r"( *)(def |class |async def |with |for |while |return |lifecycle\.)", line)
        if m and rng.random() < 0.35:
            notes = ["\n", f"{m.group(1)}# ops ticket TOS-{rng.randint(100, 999)}\n", f"{m.group(1)}# see RUNBOOK\n"]
            out.extend(rng.choice(notes) if n % 2 else f"{m.group(1)}#\n" for n in range(rng.randint(1, 2)))
        out.append(line)
    return "".join(out)


TOPS = ("opt/quaysync", "srv/quaysync", "var/lib/quaysync", "home/harbor")


class Roots:
    """Install roots made on demand under `prefix`; `cleanup()` removes the top directories this run made."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.made: dict[tuple[str, str, str], tuple[str, Path, str | None, str]] = {}
        self.fresh = {self._outermost_missing(prefix / top) for top in TOPS} - {None}

    @staticmethod
    def _outermost_missing(path: Path) -> Path | None:
        if path.exists():
            return None
        while not path.parent.exists():
            path = path.parent
        return path

    def get(self, kind: str, release: str, python: str, base: str) -> tuple[str, Path, str | None, str]:
        """(interpreter, bin directory of the console scripts, PYTHONPATH or None, import root) of one install."""
        key = (kind, release, python)
        if key in self.made:
            return self.made[key]
        p, tag, py = self.prefix, release.replace(".", ""), python.replace(".", "")
        if kind == "opt":
            home = p / "opt" / "quaysync" / release
            site, exe = home / "lib" / f"python{python}" / "site-packages", base
        elif kind == "srv":
            home = p / "srv" / "quaysync" / "releases" / f"2026{11 + RELEASES[release] % 2:02d}{tag}-cp{py}"
            site, exe = home / "app", base
        elif kind == "venv":
            home = p / "var" / "lib" / "quaysync" / "venvs" / f"qs-{tag}-cp{py}"
            home.parent.mkdir(parents=True, exist_ok=True)
            if not (home / "bin" / "python").exists():
                subprocess.run([base, "-m", "venv", "--without-pip", str(home)], check=True)
            site, exe = home / "lib" / f"python{python}" / "site-packages", str(home / "bin" / "python")
        else:
            home = p / "home" / "harbor" / "deploy" / f"quaysync-{release}"
            site, exe = home / "src", base
        site.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(site / "quaysync", ignore_errors=True)
        for src in APP.rglob("*.py"):
            target = site / "quaysync" / src.relative_to(APP)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(shifted(src.read_text(), RELEASES[release] * 101 + len(src.name)))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in SCRIPTS.items():
            write_console_script(bindir / name, exe, module)
        # a virtualenv finds its own site-packages; the other roots are put on PYTHONPATH, as their units do
        self.made[key] = (exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def noise(rng: random.Random, cause: str, k: int) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    opts: dict[str, object] = {
        "spent_threads": rng.choice([0, 0, 1, 3, 7, 15]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["heartbeat", "hb", "keepalive", "lease-renew"]),
        "heartbeat_interval": rng.choice([0.5, 2.0, 10.0, 30.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd-flusher", "otel-export", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_interval": rng.choice([1.0, 10.0, 60.0]),
        "io_pool": rng.choice([0, 0, 1, 2, 3, 5]),
        "io_pool_prefix": rng.choice(["", "io", "s3-upload", "edi-out"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(1, 4),
        "workers": rng.randint(2, 5),
        "crunchers": rng.randint(1, 3),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 99),
        "pool_prefix": rng.choice(["", "planner", "dispatch", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 50)}", "worker", f"Thread-{rng.randint(1, 60)}"]),
        "job_prefix": rng.choice(["", "jobs", "runner"]),
        "peer_name": rng.choice(["", "crane-ops", "indexer", f"flush-{rng.randint(1, 9)}"]) or None,
        "supervise_every": rng.choice([1.0, 2.0, 5.0]),
        "poll_interval": rng.choice([0.5, 1.0]),
    }
    if cause == "healthy-quote-process-pool":
        opts["workers"] = rng.randint(2, 3)
        opts["capture_child"] = None if k % 2 == 0 else rng.randint(0, 2)
    return {k: v for k, v in opts.items() if v is not None}


def plan(per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    """Every variant, spread evenly over the interpreters; 30% native."""
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        n = per_cause + (2 if cause == "healthy-quote-process-pool" else 0)
        natives = set(rng.sample(range(n), round(n * 0.3)))
        offset = rng.randrange(len(pythons))
        for k in range(n):
            variants.append(Variant(
                index=0, cause=cause, python=pythons[(k + offset) % len(pythons)], native=k in natives,
                mode=rng.choices(list(MODES), list(MODES.values()))[0],
                entry=rng.choices(list(ENTRIES), list(ENTRIES.values()))[0],
                root_kind=rng.choices(["opt", "srv", "venv", "home"], [30, 30, 25, 15])[0],
                release=rng.choice(list(RELEASES)), options=tuple(sorted(noise(rng, cause, k).items())),
            ))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def _state(pid: int, tid: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()[0]
    except (OSError, IndexError):
        return "gone"


def settled(info: dict) -> bool:
    """Every thread READY names is in the state its role expects."""
    for pid, tid, kind in info["settle"]:
        state = _state(pid, tid)
        if state == "gone":
            return False
        if kind == "running":
            if state != "running":
                return False
        elif state in ("running", "-1") or (kind in SYSCALLS and int(state) not in SYSCALLS[kind]):
            return False
    return True


def wait_settled(info: dict, timeout: float = 30.0, polls: int = 3) -> None:
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < polls:
        if time.monotonic() > deadline:
            states = [(t, k, _state(p, t)) for p, t, k in info["settle"]]
            raise NotSettled(f"threads did not settle: {states}")
        streak = streak + 1 if settled(info) else 0
        time.sleep(0.05)


@contextlib.contextmanager
def upstreams(tmp: Path):
    """A silent upstream (accepts in the kernel, never answers), one whose accept queue is full (connect
    blocks), and a file lock held by another process (this one)."""
    silent = socket.create_server(("127.0.0.1", 0), backlog=32)
    full = socket.create_server(("127.0.0.1", 0), backlog=0)
    fillers = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(full.getsockname())
        fillers.append(s)
    lock_path = tmp / "yard-index.lock"
    holder = os.open(lock_path, os.O_WRONLY | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        yield {"port": silent.getsockname()[1], "full_port": full.getsockname()[1], "lock_path": str(lock_path)}
    finally:
        for s in (silent, full, *fillers):
            s.close()
        os.close(holder)


def run_variant(v: Variant, roots: Roots, pythons: dict[str, str], captures: Path) -> dict:
    """Run one variant, dump it into captures/, return its label."""
    cause = CAUSES[v.cause]
    exe, bindir, pythonpath, site = roots.get(v.root_kind, v.release, v.python, pythons[v.python])
    tmp = Path(tempfile.mkdtemp(prefix="quaysync-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            options = dict(v.options, workdir=str(tmp), **ends)
            args = [cause.job, "--mode", v.mode, "--opts", json.dumps(options)]
            cmd = {"console-script": [str(bindir / "quaysync-agent"), *args],
                   "runpy": [exe, "-m", "quaysync.runner", *args],
                   "ops": [str(bindir / "quaysync-ops"), *args]}[v.entry]
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            proc = launch(cmd, env, tmp)
            info, _ = read_ready(proc, time.monotonic() + 90)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
            wait_settled(info)
            dump = [str(PY_SPY), "dump", "--json", "--pid", str(info["capture_pid"]), *(["--native"] if v.native else [])]
            done = subprocess.run(dump, check=False, capture_output=True, timeout=120)
            text = done.stdout.decode()
            if done.returncode != 0 or not text.strip():
                raise NotSettled(f"py-spy failed ({done.returncode}): {done.stderr.decode()[-600:]}")
            names = {fr["name"].rsplit(".", 1)[-1] for t in json.loads(text) for fr in t.get("frames", [])}
            if cause.culprits and cause.culprits[0] not in names:
                raise NotSettled(f"{cause.culprits[0]} is on no captured stack")
            (captures / v.file_name).write_text(text)
    finally:
        if proc is not None:
            kill_group(proc)
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "cause": v.cause, "category": cause.category, "culprit_function": cause.culprits[0] if cause.culprits else None,
        "culprit_functions": list(cause.culprits), "healthy": not cause.culprits, "kind": "py-spy",
        "native": v.native, "python": v.python, "python_version": info["python"],
        "harness": v.entry if v.mode == "inline" else v.mode, "entry": v.entry, "mode": v.mode,
        "install_root": site, "release": v.release, "role": info.get("role", cause.role),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "fixtures" / "corpus_blind2")
    parser.add_argument("--per-cause", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home install roots are made (removed afterwards)")
    parser.add_argument("--sources", choices=["install", "remove"],
                        help="only recreate (or remove) the install roots the dumps point at, and exit: to score the "
                             "corpus with the application's sources readable, as on the host the dumps came from")
    args = parser.parse_args(argv)
    # realpath: a virtualenv's python (ours) stands for its base interpreter
    pythons = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items() if k in SUPPORTED}
    variants = plan(args.per_cause, list(pythons), args.seed, args.only)
    if args.sources == "install":
        roots = Roots(args.root_prefix)
        for v in variants:
            roots.get(v.root_kind, v.release, v.python, pythons[v.python])
        return 0
    if args.sources == "remove":
        for top in TOPS:
            shutil.rmtree(args.root_prefix / top, ignore_errors=True)
        return 0
    captures = args.out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    roots = Roots(args.root_prefix)
    try:
        complete = capture_all(variants, lambda v: run_variant(v, roots, pythons, captures), args.out / "labels.json")
    finally:
        roots.cleanup()
    return 0 if complete else 1

if __name__ == "__main__":
    sys.exit(main())
