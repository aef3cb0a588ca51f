#!/usr/bin/env python3
"""Generate the sixth held-out corpus (fixtures/corpus_blind6/) from real hangs of liftline.

liftline (scripts/corpus/blind6/liftline/) is the operations agent of a ski resort's lift network (bullwheel
drives and brakes, gondola cabins, RFID gates, snow guns, the patrol radio and alert consoles, ticketing back
office, grooming fleet, avalanche model, haul-rope tension), written without reading the analysis rules. Each
capture runs one of its tasks for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py task on 3.11+, where the vendored redis-py imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 3.7.2 and 3.8.0
  (3.8.0 = the same code with comment lines inserted);
* entry: the `liftline-agent` console script, `python -m liftline`, or the `liftline-patrol` console script
  (timing and retry decorators); the task runs in the main thread, in a task thread the main thread joins,
  `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: tower ping sleep loops, a telemetry flusher on Event.wait(timeout), an idle upload pool, spent
  threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. The capturers, settling, the black-hole upstreams, the release line
shifts and the install-root bookkeeping come from the fourth and fifth corpora's generators; realrun.py has the
launch and capture loop.

    .venv/bin/python scripts/corpus/blind6/generate.py                          # -> fixtures/corpus_blind6/
    .venv/bin/python scripts/corpus/blind6/generate.py --per-cause 1 --out /tmp/b6 --only incident-register-flock
    .venv/bin/python scripts/corpus/blind6/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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
from dataclasses import asdict, dataclass, field
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

APP = HERE / "liftline"


@dataclass(frozen=True)
class Cause:
    task: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame(s) of the thread to blame first
    styles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a style option's value -> its culprits
    min_python: tuple[int, int] = (3, 9)


CAUSES: dict[str, Cause] = {
    "drive-brake-lock-order": Cause("line-restart", "deadlock", (), {
        "module": ("release_brake", "log_drive_state", "engage_drive", "apply_service_brake"),
        "args": ("acquire_pair", "resume_line", "stop_line")}),
    "cabin-clearance-never-posted": Cause("cabin-dispatch", "condition-wait", ("await_clearance",)),
    "gate-reader-died": Cause("gate-tally", "queue-wait", ("drain_gate_scans",)),
    "snowgun-link-recv": Cause("snowgun-poll", "io-read", ("read_nozzle_status",)),
    "radio-readline-reconnect-join": Cause("radio-reconnect", "io-read", ("next_message",)),
    "pass-sales-future-hung": Cause("pass-sales-sync", "io-read", ("push_pass_sales",)),
    "status-board-rlock-urlopen": Cause("status-board-refresh", "io-read", ("_fetch_status", "refresh")),
    "patrol-alert-redis-silent": Cause("patrol-alert", "io-read", ("raise_alert",), min_python=(3, 11)),
    "groomer-uplink-backlog": Cause("groomer-uplink", "io-read", ("open_uplink",)),
    "snowpack-model-never-exits": Cause("avalanche-forecast", "subprocess-wait", ("run_snowpack_model",)),
    "incident-register-flock": Cause("incident-report", "flock", ("append_incident",)),
    "rope-tension-diverges": Cause("rope-tension", "busy", ("tension_step", "solve_rope_tension")),
    "haul-plc-holds-gil": Cause("haul-speed", "gil", ("write_haul_speed",)),
    "snowmaking-pool-map-hung": Cause("snowmaking-plan", "pool-wait", ("plan_snowmaking",)),
    "healthy-operations-desk": Cause("operations-desk", "idle", ()),
    "healthy-scan-consumers": Cause("scan-consumers", "idle", ()),
    "healthy-lift-supervisor": Cause("lift-supervisor", "idle", ()),
    "healthy-wind-watch": Cause("wind-watch", "idle", ()),
    "healthy-gate-selector": Cause("gate-listener", "idle", ()),
    "healthy-render-pool": Cause("render-pool", "idle", ()),
}
STYLE_OPTION = {"drive-brake-lock-order": "lock_style", "cabin-clearance-never-posted": "signal_style"}
STYLE_VALUES = {"lock_style": ("module", "args"), "signal_style": ("condition", "event")}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
RELEASES = {"3.7.2": 0, "3.8.0": 13}  # shift seed: 3.8.0 has comment/blank lines inserted
HARNESSES = {"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1}
ENTRIES = {"console-script": 4, "runpy": 3, "patrol": 2}
SCRIPTS = {"liftline-agent": "liftline.agent", "liftline-patrol": "liftline.patroller"}
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

    @property
    def culprits(self) -> tuple[str, ...]:
        cause = CAUSES[self.cause]
        return cause.styles[dict(self.options)[STYLE_OPTION[self.cause]]] if cause.styles else cause.culprits


def _home_of(prefix: Path, kind: str, release: str, python: str) -> tuple[Path, Path]:
    """(install home, the directory liftline/ is put in) of one root."""
    py = python.replace(".", "")
    if kind == "opt":
        home = prefix / "opt" / "liftline" / f"{release}-py{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "srv":
        home = prefix / "srv" / "resort" / "lifts" / f"liftline_{release.replace('.', '_')}-cp{py}"
        return home, home / "src"
    if kind == "venv":
        home = prefix / "var" / "lib" / "liftline" / "envs" / f"tower-{release}-cp{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "home":
        home = prefix / "home" / "liftops" / "deploy" / f"liftline-{release}-py{python}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    home = prefix / "data" / "hut-share" / "liftline" / release / f"cp{py}"
    return home, home / "packages"


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
        shutil.rmtree(site / "liftline", ignore_errors=True)
        (site / "liftline").mkdir()
        seed = RELEASES[release]
        for src in sorted(APP.glob("*.py")):
            (site / "liftline" / src.name).write_text(shifted(src.read_text(), seed * 131 + len(src.name) if seed else 0))
        if not (site / "redis").exists():
            shutil.copytree(REDIS_PY, site / "redis", ignore=shutil.ignore_patterns("__pycache__"))
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
        "spent_threads": rng.choice([0, 0, 1, 2, 6, 11, 19]),
        "pings": rng.choice([0, 1, 1, 2, 3]),
        "ping_name": rng.choice(["tower-ping", "ping", "hb", "lift-alive"]),
        "ping_every": rng.choice([0.5, 4.0, 25.0]),
        "telemetry": rng.random() < 0.65,
        "telemetry_name": rng.choice(["telemetry", "otel-export", "graphite", f"Thread-{rng.randint(2, 50)}"]),
        "telemetry_every": rng.choice([1.0, 15.0, 60.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3, 4]),
        "upload_prefix": rng.choice(["", "cam-upload", "webcam", "ThreadPoolExecutor-2"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 36),
        "pool_prefix": rng.choice(["", "sync", "bo", "w"]),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 30)}", "tower-task", f"Thread-{rng.randint(1, 80)}"]),
        "task_prefix": rng.choice(["", "tasks", "tower"]),
        "poll_join_every": rng.choice([0.5, 2.0, 5.0]),
        "supervise_every": rng.choice([0.5, 1.0, 3.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
    }


def plan(per_cause: int, healthy_per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    """Every variant, spread evenly over the interpreters a cause runs on; 30% native; a cause with styles
    alternates them."""
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        spec = CAUSES[cause]
        n = per_cause if spec.culprits or spec.styles else healthy_per_cause
        runs_on = [p for p in pythons if tuple(map(int, p.split("."))) >= spec.min_python]
        natives = set(rng.sample(range(n), int(n * 0.3 + rng.random())))
        offset = rng.randrange(len(runs_on))
        for k in range(n):
            options = noise(rng)
            if cause in STYLE_OPTION:
                values = STYLE_VALUES[STYLE_OPTION[cause]]
                options[STYLE_OPTION[cause]] = values[k % len(values)]
            variants.append(Variant(
                index=0, cause=cause, python=runs_on[(k + offset) % len(runs_on)], native=k in natives,
                how=rng.choices(list(HARNESSES), list(HARNESSES.values()))[0],
                entry=rng.choices(list(ENTRIES), list(ENTRIES.values()))[0],
                root_kind=rng.choices(list(ROOT_KINDS), list(ROOT_KINDS.values()))[0],
                release=rng.choice(list(RELEASES)), options=tuple(sorted(options.items())),
            ))
    rng.shuffle(variants)
    return [Variant(**{**asdict(v), "index": i + 1}) for i, v in enumerate(variants)]


def run_variant(v: Variant, roots: Roots, pythons: dict[str, str], captures: Path, capturer: Capturer) -> dict:
    """Run one variant, capture it into captures/, return its label."""
    cause = CAUSES[v.cause]
    exe, bindir, pythonpath, site = roots.get(v.root_kind, v.release, v.python, pythons[v.python])
    tmp = Path(tempfile.mkdtemp(prefix="liftline-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            args = [cause.task, "--run-as", v.how, "--settings", json.dumps(dict(v.options, **ends))]
            cmd = {"console-script": [str(bindir / "liftline-agent"), *args],
                   "runpy": [exe, "-m", "liftline", *args],
                   "patrol": [str(bindir / "liftline-patrol"), *args]}[v.entry]
            proc = launch(cmd, env, tmp)
            info, _ = read_ready(proc, time.monotonic() + 60)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
            if not info["python"].startswith(f"{v.python}."):
                raise RuntimeError(f"{v.file_name} ran on Python {info['python']}: two installs share a bin directory")
            wait_settled(info)
            capturer.take(info["capture_pid"], v.native, v.culprits, captures / v.file_name)
    finally:
        if proc is not None:
            kill_group(proc)
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "cause": v.cause, "category": cause.category, "culprit_function": v.culprits[0] if v.culprits else None,
        "culprit_functions": list(v.culprits), "healthy": not v.culprits, "kind": capturer.kind,
        "native": v.native, "python": v.python, "python_version": info["python"],
        "harness": v.entry if v.how == "inline" else v.how, "entry": v.entry, "mode": v.how,
        "install_root": site, "release": v.release, "role": "main",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind6")
    parser.add_argument("--per-cause", type=int, default=5)
    parser.add_argument("--healthy-per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home, /data install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind6")
    # realpath: a virtualenv's python stands for its base interpreter
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
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
