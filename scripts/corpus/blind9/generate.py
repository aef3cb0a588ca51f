#!/usr/bin/env python3
"""Generate the ninth held-out corpus (fixtures/corpus_blind9/) from real hangs of bagtrack.

bagtrack (scripts/corpus/blind9/bagtrack/) runs an airport's baggage-handling and flight-turnaround jobs
(conveyor sorter and chutes, belt scales, the BHS PLC, flight info, bag events on redis, load sheets, tag
printers, weight and balance, reclaim carousels, pushback clearance, manifests, pier workers, route solver),
written without reading the analysis rules. Each capture runs one job for real in a fresh process, with the
variation of a fleet: CPython 3.9 .. 3.13 (redis-py job on 3.11+), install roots under /opt, /srv, a
virtualenv under /var/lib, /home and /data, releases 4.2.0 and 4.3.0 (the same code with comment lines
inserted), three entries (`bagtrack-run`, `python -m bagtrack`, `bagtrack-shift` with its decorators), five
harnesses (inline, threaded, signalled, supervised, pooled), heartbeats, a metrics flusher, an idle upload pool,
spent threads, queued lock waiters and extra waiters. About 30% are captured with --native.

The capturer, settling, black-hole upstreams, release line shifts and the redis-py vendoring come from the
fifth corpus's generator (realrun.sibling_generator); realrun.py has the launch and capture loop. Each
release's installed tree is kept under sources/<release>/ with source_roots.txt mapping every install prefix.

    .venv/bin/python scripts/corpus/blind9/generate.py --per-cause 1 --out /tmp/b9 --only tag-print-spool
    .venv/bin/python scripts/corpus/blind9/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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
REPO = HERE.parents[2]
sys.path[:0] = [str(REPO), str(HERE.parent)]

from realrun import NotSettled, capture_all, launch, program_env, sibling_generator, write_console_script

_b5 = sibling_generator("blind5")
Capturer, REDIS_PY = _b5.Capturer, _b5.REDIS_PY
add_capture_options, chosen_capture = _b5.add_capture_options, _b5.chosen_capture
kill_group, python_interpreters, read_ready = _b5.kill_group, _b5.python_interpreters, _b5.read_ready
wait_settled, upstreams, shifted, outermost_missing = _b5.wait_settled, _b5.upstreams, _b5.shifted, _b5._outermost_missing

APP = HERE / "bagtrack"


@dataclass(frozen=True)
class Cause:
    job: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame(s) of the thread to blame first
    min_python: tuple[int, int] = (3, 9)


CAUSES: dict[str, Cause] = {
    "sorter-chute-lock-order": Cause("conveyor-merge", "deadlock",
                                     ("reserve_chute", "reroute_bags", "divert_bag", "close_chute")),
    "belt-scale-driver-holds-gil": Cause("scale-calibrate", "gil", ("read_scale_tare",)),
    "bhs-plc-recv": Cause("bhs-plc-poll", "io-read", ("read_frame",)),
    "flight-info-urlopen": Cause("flight-info-sync", "io-read", ("fetch_schedule",)),
    "bag-event-redis-silent": Cause("bag-event-publish", "io-read", ("publish_bag_event",), min_python=(3, 11)),
    "loadsheet-connect-backlog": Cause("loadsheet-upload", "io-read", ("open_loadsheet_channel",)),
    "tag-printer-flock": Cause("tag-print-spool", "flock", ("claim_printer",)),
    "balance-solver-never-exits": Cause("weight-balance", "subprocess-wait", ("run_balance_solver",)),
    "carousel-feeder-died": Cause("carousel-feed", "queue-wait", ("next_bag_on_belt",)),
    "pushback-clearance-never-set": Cause("pushback-clearance", "condition-wait", ("await_pushback_clearance",)),
    "manifest-pool-hung": Cause("manifest-reconcile", "pool-wait", ("reconcile_manifests",)),
    "fids-feed-readline-join": Cause("fids-rollover", "io-read", ("read_feed_line",)),
    "route-solver-oscillates": Cause("route-solver", "busy", ("route_step", "solve_routes")),
    "pier-stats-lock-after-fork": Cause("pier-worker-fork", "lock-wait", ("record_pier_stats",)),
    "healthy-intake-listener": Cause("intake-listener", "idle", ()),
    "healthy-turnaround-desk": Cause("turnaround-desk", "idle", ()),
    "healthy-stand-supervisor": Cause("stand-supervisor", "idle", ()),
    "healthy-loader-pool": Cause("loader-pool", "idle", ()),
    "healthy-dispatch-loop": Cause("dispatch-loop", "idle", ()),
}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
RELEASES = {"4.2.0": 0, "4.3.0": 17}  # shift seed: 4.3.0 has comment/blank lines inserted
HARNESSES = {"inline": 4, "threaded": 2, "signalled": 1, "supervised": 1, "pooled": 1}
ENTRIES = {"console-script": 4, "runpy": 3, "shift": 2}
SCRIPTS = {"bagtrack-run": "bagtrack.cli", "bagtrack-shift": "bagtrack.shiftdesk"}
ROOT_KINDS = {"opt": 25, "srv": 20, "venv": 25, "home": 15, "data": 15}


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


def _home_of(prefix: Path, kind: str, release: str, python: str) -> tuple[Path, Path]:
    """(install home, the directory bagtrack/ is put in) of one root."""
    py = python.replace(".", "")
    if kind == "opt":
        home = prefix / "opt" / "bagtrack" / f"bagtrack-{release}-py{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "srv":
        home = prefix / "srv" / "airport" / "bhs" / f"bagtrack_{release.replace('.', '_')}_cp{py}"
        return home, home / "app"
    if kind == "venv":
        home = prefix / "var" / "lib" / "bagtrack" / "venv" / f"ramp-{release}-{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "home":
        home = prefix / "home" / "groundops" / "releases" / f"bagtrack-{release}-py{python}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    home = prefix / "data" / "ops-share" / "bagtrack" / release / f"py{py}"
    return home, home / "lib"


class Roots:
    """Install roots made on demand under `prefix`; `cleanup()` removes every directory this run created."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.made: dict[tuple[str, str, str], tuple[str, Path, str | None, str]] = {}
        self.fresh: list[Path] = []

    def get(self, kind: str, release: str, python: str, base: str) -> tuple[str, Path, str | None, str]:
        """(interpreter, bin directory of the console scripts, PYTHONPATH or None, import root) of one install."""
        key = (kind, release, python)
        if key in self.made:
            return self.made[key]
        home, site = _home_of(self.prefix, kind, release, python)
        missing = outermost_missing(home)
        if missing is not None and not any(missing.is_relative_to(f) for f in self.fresh):
            self.fresh.append(missing)
        exe = base
        if kind == "venv":
            home.parent.mkdir(parents=True, exist_ok=True)
            if not (home / "bin" / "python").exists():
                subprocess.run([base, "-m", "venv", "--without-pip", str(home)], check=True)
            exe = str(home / "bin" / "python")
        site.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(site / "bagtrack", ignore_errors=True)
        (site / "bagtrack").mkdir()
        seed = RELEASES[release]
        for src in sorted(APP.glob("*.py")):
            (site / "bagtrack" / src.name).write_text(shifted(src.read_text(), seed * 97 + len(src.name) if seed else 0))
        if not (site / "redis").exists():
            shutil.copytree(REDIS_PY, site / "redis", ignore=shutil.ignore_patterns("__pycache__"))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in SCRIPTS.items():
            write_console_script(bindir / name, exe, module)
        self.made[key] = (exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def keep_sources(self, out: Path, used: set[tuple[str, str, str]]) -> None:
        """Each release's installed package tree under out/sources/<release>/ and source_roots.txt: one
        `PREFIX=sources/<release>` line per install root a capture ran from."""
        lines = []
        for key in sorted(used):
            site, release = Path(self.made[key][3]), key[1]
            dest = out / "sources" / release / "bagtrack"
            if not dest.exists():
                shutil.copytree(site / "bagtrack", dest, ignore=shutil.ignore_patterns("__pycache__"))
            lines.append(f"{site}=sources/{release}")
        (out / "source_roots.txt").write_text("".join(f"{x}\n" for x in sorted(set(lines))))

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 4, 9, 17]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["heartbeat", "bhs-hb", "link-alive", "hb"]),
        "heartbeat_every": rng.choice([0.5, 3.0, 30.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["metrics", "statsd", "prom-push", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3]),
        "upload_prefix": rng.choice(["", "bsm-upload", "ThreadPoolExecutor-3"]),
        "queued": rng.randint(0, 3),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 4),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 60),
        "pool_prefix": rng.choice(["", "loader", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "ramp-job", f"Thread-{rng.randint(1, 70)}"]),
        "job_prefix": rng.choice(["", "jobs", "ramp"]),
        "supervise_every": rng.choice([0.5, 1.0, 3.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
    }


def plan(per_cause: int, healthy_per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    """Every variant, spread evenly over the interpreters a cause runs on; 30% native. Healthy services run
    as a service runs: in the main thread or a thread the main thread joins."""
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        spec = CAUSES[cause]
        n = per_cause if spec.culprits else healthy_per_cause
        runs_on = [p for p in pythons if tuple(map(int, p.split("."))) >= spec.min_python]
        natives = set(rng.sample(range(n), int(n * 0.3 + rng.random())))
        offset = rng.randrange(len(runs_on))
        harnesses = HARNESSES if spec.culprits else {"inline": 2, "threaded": 1}
        for k in range(n):
            variants.append(Variant(
                index=0, cause=cause, python=runs_on[(k + offset) % len(runs_on)], native=k in natives,
                how=rng.choices(list(harnesses), list(harnesses.values()))[0],
                entry=rng.choices(list(ENTRIES), list(ENTRIES.values()))[0],
                root_kind=rng.choices(list(ROOT_KINDS), list(ROOT_KINDS.values()))[0],
                release=rng.choice(list(RELEASES)), options=tuple(sorted(noise(rng).items())),
            ))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def run_variant(v: Variant, roots: Roots, pythons: dict[str, str], captures: Path, capturer: Capturer,
                used: set) -> dict:
    """Run one variant, capture it into captures/, return its label."""
    cause = CAUSES[v.cause]
    exe, bindir, pythonpath, site = roots.get(v.root_kind, v.release, v.python, pythons[v.python])
    tmp = Path(tempfile.mkdtemp(prefix="bagtrack-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            args = [cause.job, "--harness", v.how, "--knobs", json.dumps(dict(v.options, **ends))]
            cmd = {"console-script": [str(bindir / "bagtrack-run"), *args],
                   "runpy": [exe, "-m", "bagtrack", *args],
                   "shift": [str(bindir / "bagtrack-shift"), *args]}[v.entry]
            proc = launch(cmd, env, tmp)
            info, _ = read_ready(proc, time.monotonic() + 60)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
            if not info["python"].startswith(f"{v.python}."):
                raise RuntimeError(f"{v.file_name} ran on Python {info['python']}: two installs share a bin directory")
            wait_settled(info)
            capturer.take(info["capture_pid"], v.native, cause.culprits, captures / v.file_name)
    finally:
        if proc is not None:
            kill_group(proc)
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
    used.add((v.root_kind, v.release, v.python))
    return {
        "cause": v.cause, "category": cause.category, "culprit_function": cause.culprits[0] if cause.culprits else None,
        "culprit_functions": list(cause.culprits), "healthy": not cause.culprits, "kind": capturer.kind,
        "native": v.native, "python": v.python, "python_version": info["python"],
        "harness": v.entry if v.how == "inline" else v.how, "entry": v.entry, "mode": v.how,
        "install_root": site, "release": v.release, "role": "main",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind9")
    parser.add_argument("--per-cause", type=int, default=4)
    parser.add_argument("--healthy-per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home, /data install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind9")
    pythons = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items() if k in SUPPORTED}
    variants = plan(args.per_cause, args.healthy_per_cause, list(pythons), args.seed, args.only)
    captures = out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    shutil.rmtree(out / "sources", ignore_errors=True)
    captures.mkdir(parents=True)
    roots, used = Roots(args.root_prefix), set()
    try:
        complete = capture_all(variants, lambda v: run_variant(v, roots, pythons, captures, capturer, used),
                               out / "labels.json")
        roots.keep_sources(out, used)
    finally:
        roots.cleanup()
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
