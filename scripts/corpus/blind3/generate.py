#!/usr/bin/env python3
"""Generate the third held-out corpus (fixtures/corpus_blind3/) from real hangs of hivewatch.

hivewatch (scripts/corpus/blind3/hivewatch/) is an apiary telemetry agent written without looking at the
analysis rules. Each capture runs one of its jobs for real (`python -m hivewatch.runner JOB`), inline in
the main thread or in a job thread the main thread joins, with fleet bystanders (heartbeat sleep loops, a
metrics flusher on Event.wait(timeout), standby waiters, spent threads moving the Thread-N counter), on
CPython 3.9 .. 3.13, from an install root under /tmp that is removed afterwards. Once READY arrived and
every named thread sits in its expected syscall for 3 polls, `py-spy dump --json --pid P [--native]`
(about 30% native) is saved. Structure copied from scripts/corpus/blind2/generate.py.

    python scripts/corpus/blind3/generate.py                       # -> fixtures/corpus_blind3/
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
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

from forensics.hangs import kill_group, python_interpreters, read_ready
from realrun import NotSettled, capture_all, launch, program_env

APP = HERE / "hivewatch"
PY_SPY = Path(os.environ.get("PY_SPY") or "/work/main/.venv/bin/py-spy")


@dataclass(frozen=True)
class Cause:
    job: str
    category: str
    culprits: tuple[str, ...]


CAUSES: dict[str, Cause] = {
    "supers-frames-lock-order": Cause("inspection-round", "deadlock", ("stack_supers", "rotate_frames")),
    "queen-signal-never-set": Cause("queen-check", "condition-wait", ("await_queen_signal",)),
    "pollen-feeder-died": Cause("pollen-count", "queue-wait", ("tally_pollen",)),
    "scale-gateway-silent": Cause("weigh-hives", "io-read", ("read_scale_weight",)),
    "thermal-join-on-recv": Cause("thermal-restart", "io-read", ("poll_thermal_probe",)),
    "smoker-child-never-exits": Cause("smoke-hives", "subprocess-wait", ("run_smoker_cycle",)),
    "harvest-ledger-flock": Cause("record-harvest", "flock", ("append_harvest_ledger",)),
    "brood-curve-spin": Cause("model-brood", "busy", ("fit_brood_curve",)),
    "wax-decoder-holds-gil": Cause("wax-scan", "gil", ("decode_wax_sensor",)),
    "healthy-apiary-pool": Cause("serve-inspections", "idle", ()),
    "healthy-nectar-consumers": Cause("nectar-flow", "idle", ()),
}

SYSCALLS = {"futex": {202}, "recv": {0, 45}, "wait4": {61}, "flock": {73}, "sleep": {35, 230}}
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Variant:
    index: int
    cause: str
    python: str
    native: bool
    mode: str
    options: tuple[tuple[str, object], ...]

    @property
    def file_name(self) -> str:
        return f"{self.index:04d}-{self.cause}-py{self.python.replace('.', '')}{'-native' if self.native else ''}.json"


def noise(rng: random.Random) -> dict[str, object]:
    return {
        "spent_threads": rng.choice([0, 1, 2, 5, 11]),
        "heartbeats": rng.choice([0, 1, 1, 2]),
        "heartbeat_name": rng.choice(["heartbeat", "hb", "lease"]),
        "heartbeat_interval": rng.choice([0.5, 2.0, 15.0]),
        "metrics": rng.random() < 0.7,
        "metrics_name": rng.choice(["metrics", "prom-flush", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_interval": rng.choice([1.0, 10.0, 30.0]),
        "standby": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "crunchers": rng.randint(1, 3),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 40),
        "pool_prefix": rng.choice(["apiary", "insp", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "worker"]),
    }


def plan(per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        natives = set(rng.sample(range(per_cause), round(per_cause * 0.3)))
        offset = rng.randrange(len(pythons))
        for k in range(per_cause):
            variants.append(Variant(0, cause, pythons[(k + offset) % len(pythons)], k in natives,
                                    rng.choice(["inline", "inline", "threaded"]), tuple(sorted(noise(rng).items()))))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def _state(pid: int, tid: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()[0]
    except (OSError, IndexError):
        return "gone"


def settled(info: dict) -> bool:
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


def wait_settled(info: dict, timeout: float = 20.0, polls: int = 3) -> None:
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < polls:
        if time.monotonic() > deadline:
            raise NotSettled(f"threads did not settle: {[(t, k, _state(p, t)) for p, t, k in info['settle']]}")
        streak = streak + 1 if settled(info) else 0
        time.sleep(0.05)


@contextlib.contextmanager
def upstreams(tmp: Path):
    """A silent listener (accepts in the kernel, never answers) and a ledger file another process holds locked."""
    silent = socket.create_server(("127.0.0.1", 0), backlog=32)
    lock_path = tmp / "harvest-ledger.lock"
    holder = os.open(lock_path, os.O_WRONLY | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        yield {"port": silent.getsockname()[1], "lock_path": str(lock_path)}
    finally:
        silent.close()
        os.close(holder)


def install(prefix: Path, python: str) -> Path:
    site = prefix / "opt" / "hivewatch" / "lib" / f"python{python}" / "site-packages"
    if not (site / "hivewatch").exists():
        shutil.copytree(APP, site / "hivewatch", ignore=shutil.ignore_patterns("__pycache__"))
    return site


def run_variant(v: Variant, prefix: Path, pythons: dict[str, str], captures: Path) -> dict:
    cause = CAUSES[v.cause]
    site = install(prefix, v.python)
    tmp = Path(tempfile.mkdtemp(prefix="hivewatch-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            options = dict(v.options, **ends)
            cmd = [pythons[v.python], "-m", "hivewatch.runner", cause.job, "--mode", v.mode, "--opts", json.dumps(options)]
            proc = launch(cmd, program_env(TMPDIR=str(tmp), PYTHONPATH=str(site)), tmp)
            info, _ = read_ready(proc, time.monotonic() + 30)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
            wait_settled(info)
            dump = [str(PY_SPY), "dump", "--json", "--pid", str(info["capture_pid"]), *(["--native"] if v.native else [])]
            done = subprocess.run(dump, check=False, capture_output=True, timeout=60)
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
        "harness": "runpy" if v.mode == "inline" else v.mode, "entry": "runpy", "mode": v.mode,
        "install_root": str(site), "release": "0.7.2", "role": info.get("role", "main"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "fixtures" / "corpus_blind3")
    parser.add_argument("--per-cause", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/tmp/hivewatch-roots"))
    args = parser.parse_args(argv)
    pythons = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items() if k in SUPPORTED}
    variants = plan(args.per_cause, list(pythons), args.seed, args.only)
    captures = args.out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    try:
        complete = capture_all(variants, lambda v: run_variant(v, args.root_prefix, pythons, captures),
                               args.out / "labels.json")
    finally:
        shutil.rmtree(args.root_prefix, ignore_errors=True)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
