#!/usr/bin/env python3
"""Generate the tenth held-out corpus (fixtures/corpus_blind10/) from real hangs of meterflow.

meterflow (scripts/corpus/blind10/meterflow/) is the billing and meter-reading backend of a regional water
and gas utility (tariffs and the customer ledger, AMR concentrators, the payment processor, the invoice
spool and PDF renderer, route imports, usage reconciliation, the readings API), written without reading the
analysis rules. Each capture runs one task for real in a fresh process with a fleet's variation: CPython
3.9-3.13 (redis-py task on 3.11+), install roots under /opt, /srv and a virtualenv under /var/lib, releases
4.0.2 and 4.1.0 (comment lines inserted), entries `meterflow-worker`, `python -m meterflow.worker` and
`meterflow-cron` (audit/retry wrappers), the task inline, in a joined task thread or on a one-slot executor,
heartbeats, a metrics flusher, an idle upload pool, spent threads, extra waiters. Settling, the capturers and
the black-hole upstreams come from blind4/blind5's generators (realrun.sibling_generator).

    .venv/bin/python scripts/corpus/blind10/generate.py --per-cause 3 --healthy-per-cause 2
    .venv/bin/python scripts/corpus/blind10/generate.py --out /tmp/b10 --only invoice-flock --per-cause 1
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parent)]

from realrun import NotSettled, capture_all, launch, program_env, sibling_generator, write_console_script

_b5 = sibling_generator("blind5")
Capturer, add_capture_options, chosen_capture = _b5.Capturer, _b5.add_capture_options, _b5.chosen_capture
kill_group, python_interpreters, read_ready = _b5.kill_group, _b5.python_interpreters, _b5.read_ready
wait_settled, upstreams, shifted, REDIS_PY = _b5.wait_settled, _b5.upstreams, _b5.shifted, _b5.REDIS_PY

APP = HERE / "meterflow"


@dataclass(frozen=True)
class Cause:
    task: str
    category: str
    culprits: tuple[str, ...]
    min_python: tuple[int, int] = (3, 9)


CAUSES: dict[str, Cause] = {
    "tariff-ledger-lock-order": Cause("reprice", "deadlock",
                                      ("post_adjustment", "apply_tariff_change", "reprice_account",
                                       "close_billing_period")),
    "concentrator-recv-no-timeout": Cause("poll-concentrator", "io-read", ("read_meter_frame",)),
    "latch-driver-holds-gil": Cause("latch-meter", "gil", ("latch_register",)),
    "payment-batch-urlopen": Cause("settle-payments", "io-read", ("post_payment_batch",)),
    "reading-stream-redis-silent": Cause("stream-readings", "io-read", ("push_reading_event",), (3, 11)),
    "invoice-spool-flock": Cause("write-invoices", "flock", ("lock_invoice_spool",)),
    "invoice-render-never-exits": Cause("render-invoices", "subprocess-wait", ("render_invoice_pdf",)),
    "reading-inbox-empty": Cause("ingest-readings", "queue-wait", ("next_reading_batch",)),
    "estimate-never-set": Cause("estimate-missed", "condition-wait", ("await_estimate",)),
    "route-totals-future-stuck": Cause("total-routes", "pool-wait", ("collect_route_totals",)),
    "route-import-join-stuck": Cause("import-routes", "join-wait", ("finish_route_import",)),
    "usage-reconcile-spins": Cause("reconcile", "busy", ("reconcile_usage",)),
    "audit-lock-across-fork": Cause("rotate-audit", "lock-wait", ("rotate_audit_log",)),
    "healthy-readings-api-selector": Cause("api", "idle", ()),
    "healthy-shutdown-wait": Cause("shutdown-wait", "idle", ()),
    "healthy-dispatcher-join": Cause("dispatcher", "idle", ()),
    "healthy-billing-pool": Cause("billing-pool", "idle", ()),
    "healthy-event-loop": Cause("event-loop", "idle", ()),
}
SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
RELEASES = {"4.0.2": 0, "4.1.0": 17}
MODES = {"inline": 5, "threaded": 3, "executor": 2}
ENTRIES = {"worker": 4, "runpy": 3, "cron": 2}
SCRIPTS = {"meterflow-worker": "meterflow.worker", "meterflow-cron": "meterflow.cron"}


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


class Roots:
    """Install roots under `prefix`; `cleanup()` removes the top directories this run made."""

    TOPS = ("opt/meterflow", "srv/utility-billing", "var/lib/meterflow")

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.fresh = [prefix / t for t in self.TOPS if not (prefix / t).exists()]
        self.made: dict[tuple[str, str, str], tuple[str, Path, str | None, str]] = {}

    def get(self, kind: str, release: str, python: str, base: str) -> tuple[str, Path, str | None, str]:
        key = (kind, release, python)
        if key in self.made:
            return self.made[key]
        p, py = self.prefix, python.replace(".", "")
        exe = base
        if kind == "opt":
            home = p / "opt" / "meterflow" / release
            site = home / "lib" / f"python{python}" / "site-packages"
        elif kind == "srv":
            home = p / "srv" / "utility-billing" / f"meterflow-{release}-cp{py}"
            site = home / "lib"
        else:
            home = p / "var" / "lib" / "meterflow" / "venvs" / f"worker-{release}-cp{py}"
            site = home / "lib" / f"python{python}" / "site-packages"
            home.parent.mkdir(parents=True, exist_ok=True)
            if not (home / "bin" / "python").exists():
                subprocess.run([base, "-m", "venv", "--without-pip", str(home)], check=True)
            exe = str(home / "bin" / "python")
        site.mkdir(parents=True, exist_ok=True)
        install(site / "meterflow", release)
        if not (site / "redis").exists():
            shutil.copytree(REDIS_PY, site / "redis", ignore=shutil.ignore_patterns("__pycache__"))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in SCRIPTS.items():
            write_console_script(bindir / name, exe, module)
        self.made[key] = (exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def install(pkg: Path, release: str) -> None:
    """The package tree of one release (4.1.0 = the same code with comment lines inserted)."""
    shutil.rmtree(pkg, ignore_errors=True)
    pkg.mkdir(parents=True)
    seed = RELEASES[release]
    for src in sorted(APP.glob("*.py")):
        (pkg / src.name).write_text(shifted(src.read_text(), seed * 131 + len(src.name) if seed else 0))


def noise(rng: random.Random) -> dict[str, object]:
    return {
        "spent": rng.choice([0, 0, 1, 4, 9]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "beat_name": rng.choice(["hb", "dispatcher-hb", "keepalive", "amr-heartbeat"]),
        "beat_every": rng.choice([0.5, 2.0, 15.0]),
        "metrics": rng.random() < 0.6,
        "metrics_name": rng.choice(["metrics", "statsd-flush", f"Thread-{rng.randint(2, 30)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "uploaders": rng.choice([0, 0, 1, 2]),
        "upload_prefix": rng.choice(["", "s3-upload", "sftp"]),
        "waiters": rng.randint(0, 3),
        "queued": rng.randint(0, 3),
        "listeners": rng.randint(1, 3),
        "workers": rng.randint(2, 4),
        "processes": rng.random() < 0.4,
        "account": rng.randint(1, 99999),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 40)}", "billing-task"]),
        "task_prefix": rng.choice(["", "tasks", "slot"]),
    }


def plan(per_cause: int, healthy: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        spec = CAUSES[cause]
        n = per_cause if spec.culprits else healthy
        runs_on = [p for p in pythons if tuple(map(int, p.split("."))) >= spec.min_python]
        natives = set(rng.sample(range(n), int(n * 0.3 + rng.random())))
        offset = rng.randrange(len(runs_on))
        for k in range(n):
            variants.append(Variant(
                index=0, cause=cause, python=runs_on[(k + offset) % len(runs_on)], native=k in natives,
                mode=rng.choices(list(MODES), list(MODES.values()))[0],
                entry=rng.choices(list(ENTRIES), list(ENTRIES.values()))[0],
                root_kind=rng.choice(["opt", "srv", "venv"]), release=rng.choice(list(RELEASES)),
                options=tuple(sorted(noise(rng).items()))))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def run_variant(v: Variant, roots: Roots, pythons: dict[str, str], captures: Path, capturer: Capturer) -> dict:
    cause = CAUSES[v.cause]
    exe, bindir, pythonpath, site = roots.get(v.root_kind, v.release, v.python, pythons[v.python])
    tmp = Path(tempfile.mkdtemp(prefix="meterflow-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            args = [cause.task, "--mode", v.mode, "--opts", json.dumps(dict(v.options, **ends))]
            cmd = {"worker": [str(bindir / "meterflow-worker"), *args],
                   "runpy": [exe, "-m", "meterflow.worker", *args],
                   "cron": [str(bindir / "meterflow-cron"), *args]}[v.entry]
            proc = launch(cmd, env, tmp)
            info, _ = read_ready(proc, time.monotonic() + 60)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
            wait_settled(info)
            capturer.take(info["capture_pid"], v.native, cause.culprits, captures / v.file_name)
    finally:
        if proc is not None:
            kill_group(proc)
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "cause": v.cause, "category": cause.category, "culprit_function": cause.culprits[0] if cause.culprits else None,
        "culprit_functions": list(cause.culprits), "healthy": not cause.culprits, "kind": capturer.kind,
        "native": v.native, "python": v.python, "python_version": info["python"],
        "harness": v.entry if v.mode == "inline" else v.mode, "entry": v.entry, "mode": v.mode,
        "install_root": site, "release": v.release, "role": "main",
    }


def write_sources(out: Path, sites: dict[str, str]) -> None:
    """sources/<release>/meterflow/ as installed, and source_roots.txt: each captured prefix -> its tree."""
    shutil.rmtree(out / "sources", ignore_errors=True)
    for release in sorted(set(sites.values())):
        install(out / "sources" / release / "meterflow", release)
    lines = [f"{site}=sources/{release}" for site, release in sorted(sites.items())]
    (out / "source_roots.txt").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind10")
    parser.add_argument("--per-cause", type=int, default=4)
    parser.add_argument("--healthy-per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"))
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind10")
    pythons = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items() if k in SUPPORTED}
    variants = plan(args.per_cause, args.healthy_per_cause, list(pythons), args.seed, args.only)
    captures = out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    roots = Roots(args.root_prefix)
    try:
        complete = capture_all(variants, lambda v: run_variant(v, roots, pythons, captures, capturer),
                               out / "labels.json")
    finally:
        roots.cleanup()
    labels = json.loads((out / "labels.json").read_text())
    write_sources(out, {lab["install_root"]: lab["release"] for lab in labels.values()})
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
