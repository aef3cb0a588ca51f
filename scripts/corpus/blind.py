#!/usr/bin/env python3
"""Generate the blind held-out corpus (fixtures/corpus_blind/) from real hangs of quillbill.

quillbill (fixtures/corpus_blind/app/) is an invoicing service written without looking at
the analysis rules. Each capture runs one of its tasks for real, in a fleet-like process:

* CPython 3.9 .. 3.13 (pyenv builds), the package installed under several roots (an /opt
  prefix, a /srv release directory, a virtualenv, a home checkout), releases that differ only
  by inserted blank/comment lines (shifted line numbers);
* entry harnesses: the `quillbill-worker` console script or `python -m quillbill.runner`,
  running the task inline, in a thread the main thread joins or `Event.wait`s on, or in an
  executor the main thread waits on;
* bystanders: heartbeat threads, a metrics flusher, an idle I/O pool, spent threads that move
  the `Thread-N` counters, extra jobs queued behind the culprit, GIL waiters.

A variant is captured once its READY line arrived and every thread it names sits in the
expected syscall for several polls (read from /proc), with the real `hangdump collect --pid P
--json --no-store [--native]` or, for about a quarter, a raw `py-spy dump --json` (the import
path). Labels: see the format in fixtures/corpus_blind/README.md.

    python scripts/corpus/blind.py                      # -> fixtures/corpus_blind/{captures,labels.json}
    python scripts/corpus/blind.py --per-cause 2 --out /tmp/blind --only rounding-busy
"""
from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from realrun import NotSettled, capture_all, launch, program_env, write_console_script

from forensics import procraw
from forensics.hangs import kill_group, python_interpreters, read_ready

APP = REPO / "fixtures" / "corpus_blind" / "app" / "quillbill"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PY_SPY = REPO / ".venv" / "bin" / "py-spy"

# task -> (category, functions that name the culprit (the innermost application frame first), role)
CAUSES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "ledger-transfer-deadlock": ("deadlock", ("_apply_entry", "post_transfer", "reverse_transfer"), "main"),
    "period-close-deadlock": ("deadlock", ("_apply_entry", "close_period", "reopen_invoice"), "main"),
    "plugin-import-deadlock": ("deadlock", ("_register_tables", "load_plugin"), "main"),
    "pricebook-lock-over-read": ("io-read", ("refresh_price_book",), "main"),
    "fx-rates-http-no-timeout": ("io-read", ("fetch_fx_rates",), "main"),
    "webhook-http-no-timeout": ("io-read", ("deliver_webhook",), "main"),
    "remote-balance-recv": ("io-read", ("pull_remote_balance",), "main"),
    "tenant-async-blocking-read": ("io-read", ("load_tenant_config",), "main"),
    "export-queue-dead-producer": ("queue-wait", ("consume_export_rows",), "main"),
    "dunning-condition-early-return": ("condition-wait", ("await_slot",), "main"),
    "statement-poller-join": ("join-wait", ("drain_and_stop",), "main"),
    "pdf-render-subprocess": ("subprocess-wait", ("render_invoice_pdf",), "main"),
    "tax-codec-gil": ("gil", ("encode_tax_blob",), "main"),
    "rounding-busy": ("busy", ("settle_rounding_drift",), "main"),
    "archive-flock": ("flock", ("rotate_archive",), "main"),
    "forked-child-audit-lock": ("lock-wait", ("record_audit",), "forked-child"),
    "invoice-seq-lock-leak": ("lock-wait", ("allocate_invoice_number",), "main"),
    "healthy-job-pool": ("idle", (), "main"),
    "healthy-scheduler": ("idle", (), "main"),
    "healthy-asyncio-idle": ("idle", (), "main"),
    "healthy-tcp-selector": ("idle", (), "main"),
    "healthy-mp-pool": ("idle", (), "main"),
}

# What a settled thread's /proc/PID/task/TID/syscall starts with (x86_64 numbers), by READY label.
SETTLED_SYSCALLS = {
    "lock": {202}, "join": {202}, "queue-get": {202},
    "socket-read": {0, 45}, "subprocess-wait": {61}, "flock": {73}, "gil-holder": {35, 230},
}

RELEASES = {"1.4.2": 0, "1.4.3": 3, "1.5.0": 7, "1.5.1": 11}
MODES = {"inline": 4, "threaded": 2, "threaded-event": 1, "executor": 2}  # quillbill-worker --mode -> weight


@dataclass(frozen=True)
class Variant:
    index: int
    task: str
    python: str  # "3.11"
    native: bool
    kind: str  # "collect" or "py-spy"
    mode: str
    entry: str  # "console-script" or "runpy"
    root_kind: str
    release: str
    options: tuple[tuple[str, object], ...]

    @property
    def file_name(self) -> str:
        return f"{self.index:04d}-{self.task}-py{self.python.replace('.', '')}{'-native' if self.native else ''}.json"


def shifted_source(text: str, seed: int) -> str:
    """The same module with blank/comment lines inserted before some `def`/`class` lines."""
    if not seed:
        return text
    rng = random.Random(seed)
    out = []
    for line in text.splitlines(keepends=True):
        if re.match(r"( {0,4})(def |class |async def |@)", line) and rng.random() < 0.6:
            indent = re.match(r" *", line).group(0)
            for _ in range(rng.randint(1, 3)):
                out.append(rng.choice(["\n", f"{indent}# reviewed for release\n", f"{indent}# see CHANGES\n"]))
        out.append(line)
    return "".join(out)


class Roots:
    """Install roots created on demand; removed again by `cleanup()`."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.made: dict[tuple[str, str, str], tuple[str, str, str | None, str]] = {}
        self.created: list[Path] = []

    def _fresh_dir(self, path: Path) -> Path:
        top = path
        while not top.parent.exists():
            top = top.parent
        if not top.exists():
            self.created.append(top)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def get(self, kind: str, release: str, python: str, base_python: str) -> tuple[str, str, str | None, str]:
        """(python to run, console-script path, PYTHONPATH or None, site directory) for that install."""
        key = (kind, release, python)
        if key in self.made:
            return self.made[key]
        p = self.prefix
        tag = release.replace(".", "")
        if kind == "opt":
            home = p / "opt" / f"quillbill-{release}"
            site = home / "lib" / f"python{python}" / "site-packages"
            exe, path = base_python, str(site)
        elif kind == "srv":
            home = p / "srv" / "releases" / f"2026.11.{20 + RELEASES[release] % 9}-{tag}{python.replace('.', '')}"
            site = home
            exe, path = base_python, str(site)
        elif kind == "venv":
            home = p / "srv" / "venvs" / f"quillbill-{tag}-py{python}"
            self._fresh_dir(home.parent)
            if not (home / "bin" / "python").exists():
                subprocess.run([base_python, "-m", "venv", "--without-pip", str(home)], check=True)
            site = home / "lib" / f"python{python}" / "site-packages"
            exe, path = str(home / "bin" / "python"), None
        else:  # a developer's checkout on a staging box
            home = p / "home" / "deploy" / f"quillbill-{tag}"
            site = home / "src"
            exe, path = base_python, str(site)
        self._fresh_dir(site)
        self._install(site / "quillbill", RELEASES[release])
        script = self._fresh_dir(home / "bin") / "quillbill-worker"
        write_console_script(script, exe, "quillbill.cli")
        self.made[key] = (exe, str(script), path, str(site))
        return self.made[key]

    @staticmethod
    def _install(dest: Path, seed: int) -> None:
        shutil.rmtree(dest, ignore_errors=True)
        for src in APP.rglob("*.py"):
            target = dest / src.relative_to(APP)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(shifted_source(src.read_text(), seed + len(src.name)))

    def cleanup(self) -> None:
        for path in self.created:
            shutil.rmtree(path, ignore_errors=True)


def plan(per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    """Every variant, spread evenly over interpreters; 30% native, ~25% raw py-spy dumps."""
    rng = random.Random(seed)
    tasks = only or list(CAUSES)
    variants = []
    for task in tasks:
        n = per_cause + (2 if task == "healthy-mp-pool" else 0)
        natives = set(rng.sample(range(n), round(n * 0.3)))
        raws = set(rng.sample(range(n), round(n * 0.25)))
        offset = rng.randrange(len(pythons))
        for k in range(n):
            variants.append(Variant(
                index=0, task=task, python=pythons[(k + offset) % len(pythons)], native=k in natives,
                kind="py-spy" if k in raws else "collect", mode=rng.choices(list(MODES), list(MODES.values()))[0],
                entry=rng.choice(["console-script", "runpy"]),
                root_kind=rng.choices(["opt", "srv", "venv", "home"], [35, 30, 20, 15])[0],
                release=rng.choice(list(RELEASES)), options=tuple(sorted(noise(rng, task, k).items())),
            ))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def noise(rng: random.Random, task: str, k: int) -> dict[str, object]:
    """Bystanders and counters of one variant."""
    opts: dict[str, object] = {
        "spent_threads": rng.randint(0, 12),
        "heartbeats": rng.choice([0, 1, 1, 2]),
        "heartbeat_interval": rng.choice([1.0, 5.0, 15.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics-flusher", "statsd-flush", "prom-push"]),
        "io_pool": rng.choice([0, 0, 1, 2, 4]),
        "io_pool_prefix": rng.choice(["", "io", "blob-io"]),
        "queued": rng.randint(0, 4),
        "counter": rng.randint(1, 40),
        "crunchers": rng.randint(1, 3),
        "pollers": rng.randint(1, 3),
        "rows": rng.randint(1, 6),
        "workers": rng.randint(2, 6),
        "pool_prefix": rng.choice(["jobs", "render", ""]),
        "task_thread": rng.choice([f"task-runner-{rng.randint(1, 9)}", f"Thread-{rng.randint(1, 30)}", "job"]),
        "task_prefix": rng.choice(["task", "runner", ""]),
    }
    if task == "healthy-mp-pool":
        opts["workers"] = rng.randint(2, 3)
        opts["capture_child"] = None if k % 2 == 0 else rng.randint(0, 2)
    return opts


def settled(info: dict) -> bool:
    """Every thread the variant names sits in its expected syscall, and transient threads are gone."""
    labels = {tid: info.get("expect", {}).get(name) for name, tid in info.get("threads", {}).items()}
    for pid, tid in info.get("settle", []):
        fields = (procraw.read_optional(f"/proc/{pid}/task/{tid}/syscall") or "running").split()
        if not fields or fields[0] in ("running", "-1"):
            return False
        wanted = SETTLED_SYSCALLS.get(labels.get(tid) if pid == info["pid"] else None)
        if wanted is not None and int(fields[0]) not in wanted:
            return False
    return not any(os.path.exists(f"/proc/{info['pid']}/task/{tid}") for tid in info.get("transient", []))


def wait_settled(info: dict, timeout: float = 20.0, polls: int = 3) -> None:
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < polls:
        if time.monotonic() > deadline:
            raise NotSettled("threads did not settle")
        streak = streak + 1 if settled(info) else 0
        time.sleep(0.02)


def capture_command(v: Variant, pid: int) -> list[str]:
    native = ["--native"] if v.native else []
    if v.kind == "py-spy":
        return [str(PY_SPY), "dump", "--json", "--pid", str(pid), *native]
    return [str(VENV_PYTHON), "-m", "forensics", "collect", "--pid", str(pid), "--json", "--no-store", *native]


def run_variant(v: Variant, roots: Roots, interpreters: dict[str, str], out: Path) -> dict:
    """Run one variant, capture it into out/captures/, return its label."""
    exe, script, pythonpath, site = roots.get(v.root_kind, v.release, v.python, interpreters[v.python])
    tmp = Path(tempfile.mkdtemp(prefix="quillbill-"))
    listener = socket.create_server(("127.0.0.1", 0), backlog=8)  # accepts nothing: a silent upstream
    lock_path = tmp / "archive.lock"
    holder = os.open(lock_path, os.O_WRONLY | os.O_CREAT)  # the backup job's lock, held by another process: us
    fcntl.flock(holder, fcntl.LOCK_EX)
    options = dict(v.options, port=listener.getsockname()[1], lock_path=str(lock_path))
    args = [v.task, "--mode", v.mode, "--opts", json.dumps(options)]
    cmd = [exe, script, *args] if v.entry == "console-script" else [exe, "-m", "quillbill.runner", *args]
    env = program_env(TMPDIR=str(tmp), QUILLBILL_SUPERVISOR_PID=str(os.getpid()))
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = None
    try:
        proc = launch(cmd, env, tmp)
        info, _ = read_ready(proc, time.monotonic() + 60)
        if info is None:
            raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-800:]}")
        wait_settled(info)
        pid = info["capture_pid"]
        done = subprocess.run(capture_command(v, pid), check=False, capture_output=True, timeout=120)
        category, culprits, role = CAUSES[v.task]
        text = done.stdout.decode()
        if done.returncode != 0 or not text.strip():
            raise NotSettled(f"capture failed ({done.returncode}): {done.stderr.decode()[-800:]}")
        json.loads(text)
        if culprits and culprits[0] not in text:
            raise NotSettled(f"{culprits[0]} not on any captured stack")
        (out / "captures" / v.file_name).write_text(text)
    finally:
        if proc is not None:
            kill_group(proc)
            proc.stdout.close()
        listener.close()
        os.close(holder)
        shutil.rmtree(tmp, ignore_errors=True)
    is_child = pid != info["pid"]
    return {
        "cause": v.task, "category": category, "culprit_function": culprits[0] if culprits else None,
        "culprit_functions": list(culprits), "healthy": not culprits, "kind": v.kind, "native": v.native,
        "python": v.python, "python_version": info["python"], "harness": v.entry if v.mode == "inline" else v.mode, "entry": v.entry, "install_root": site,
        "release": v.release, "role": ("pool-child" if is_child else "main") if v.task == "healthy-mp-pool" else role,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "fixtures" / "corpus_blind")
    parser.add_argument("--per-cause", type=int, default=11)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where /opt, /srv, /home install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    # realpath: a virtualenv's python (ours) stands for its base interpreter
    interpreters = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items()
                    if k in {"3.9", "3.10", "3.11", "3.12", "3.13"}}
    variants = plan(args.per_cause, list(interpreters), args.seed, args.only)
    captures = args.out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    roots = Roots(args.root_prefix)
    try:
        complete = capture_all(variants, lambda v: run_variant(v, roots, interpreters, args.out), args.out / "labels.json")
    finally:
        roots.cleanup()
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
