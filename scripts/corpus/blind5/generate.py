#!/usr/bin/env python3
"""Generate the fifth held-out corpus (fixtures/corpus_blind5/) from real hangs of clearwell.

clearwell (scripts/corpus/blind5/clearwell/) is the operations agent of a municipal water treatment plant
(duty pumps and inlet valves, chlorine dosing, lab results, turbidimeters, pump-station PLCs, flow meters, the
SCADA historian and alarm screens, the regulator's portal), written without reading the analysis rules. Each
capture runs one of its jobs for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py job on 3.11+, where the vendored redis-py 8 imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 5.1.3 and 5.2.0
  (5.2.0 = the same code with comment lines inserted);
* entry: the `clearwell-agent` console script, `python -m clearwell.launcher`, or the `clearwell-shift`
  console script (audit and retry decorators); the job runs in the main thread, in a job thread the main
  thread joins, `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: SCADA heartbeat sleep loops, a metrics flusher on Event.wait(timeout), an idle upload pool,
  spent threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured. What is shared with the fourth corpus's generator (the
capturers: a raw `py-spy dump --json` or a live `hangdump collect --json --no-store`) and, through it, the
second's (settling, the black-hole upstreams, the release line shifts) is imported from them; realrun.py has
the launch and capture loop.

    .venv/bin/python scripts/corpus/blind5/generate.py                          # -> fixtures/corpus_blind5/
    .venv/bin/python scripts/corpus/blind5/generate.py --per-cause 1 --out /tmp/b5 --only shift-log-flock
    .venv/bin/python scripts/corpus/blind5/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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

_b4 = sibling_generator("blind4")
Capturer, add_capture_options, chosen_capture = _b4.Capturer, _b4.add_capture_options, _b4.chosen_capture
kill_group, python_interpreters, read_ready = _b4.kill_group, _b4.python_interpreters, _b4.read_ready
wait_settled, upstreams, shifted = _b4.wait_settled, _b4.upstreams, _b4.shifted

APP = HERE / "clearwell"
# redis-py for the alarm job, vendored into each install (redis-py 8 imports on 3.11+ without extra packages)
REDIS_PY = Path(__import__("redis").__file__).parent


@dataclass(frozen=True)
class Cause:
    job: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame(s) of the thread to blame first
    styles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a style option's value -> its culprits
    min_python: tuple[int, int] = (3, 9)


DEADLOCK_STYLES = {
    "module": ("log_pump_interlock", "close_inlet_valve", "open_inlet_valve", "trip_pump"),
    "args": ("hold_both", "start_standby", "stop_duty"),
}

CAUSES: dict[str, Cause] = {
    "valve-pump-lock-order": Cause("pump-changeover", "deadlock", (), DEADLOCK_STYLES),
    "lims-result-never-posted": Cause("chlorine-adjust", "condition-wait", ("await_lab_result",)),
    "turbidity-poller-died": Cause("filter-run-check", "queue-wait", ("collect_turbidity_batch",)),
    "plc-register-recv": Cause("station-scan", "io-read", ("read_holding_registers",)),
    "flowmeter-readline-rollover-join": Cause("flow-rollover", "io-read", ("next_reading",)),
    "regulator-report-future-hung": Cause("compliance-report", "io-read", ("post_daily_report",)),
    "asset-registry-rlock-urlopen": Cause("asset-sync", "io-read", ("_download_registry", "refresh")),
    "alarm-redis-silent": Cause("alarm-fanout", "io-read", ("publish_alarm",), min_python=(3, 11)),
    "historian-connect-backlog": Cause("historian-ingest", "io-read", ("open_session",)),
    "hydraulic-model-never-exits": Cause("hydraulic-model", "subprocess-wait", ("run_network_model",)),
    "shift-log-flock": Cause("shift-log", "flock", ("append_shift_entry",)),
    "pressure-solver-diverges": Cause("pressure-balance", "busy", ("head_loss_correction", "balance_network")),
    "dosing-driver-holds-gil": Cause("dosing-setpoint", "gil", ("write_stroke_rate",)),
    "calibration-pool-map-hung": Cause("analyzer-calibration", "pool-wait", ("calibrate_analyzers",)),
    "healthy-chemical-feed-pool": Cause("chemical-feed", "idle", ()),
    "healthy-sample-consumers": Cause("sample-consumers", "idle", ()),
    "healthy-station-supervisor": Cause("station-supervisor", "idle", ()),
    "healthy-backwash-scheduler": Cause("backwash-scheduler", "idle", ()),
    "healthy-rtu-selector": Cause("rtu-listener", "idle", ()),
    "healthy-lab-process-pool": Cause("lab-pool", "idle", ()),
}
STYLE_OPTION = {"valve-pump-lock-order": "lock_style", "lims-result-never-posted": "signal_style"}
STYLE_VALUES = {"lock_style": ("module", "args"), "signal_style": ("condition", "event")}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
RELEASES = {"5.1.3": 0, "5.2.0": 11}  # shift seed: 5.2.0 has comment/blank lines inserted
HARNESSES = {"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1}
ENTRIES = {"console-script": 4, "runpy": 3, "shift": 2}
SCRIPTS = {"clearwell-agent": "clearwell.agent", "clearwell-shift": "clearwell.shift"}
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


def _outermost_missing(path: Path) -> Path | None:
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


class Roots:
    """Install roots made on demand under `prefix`; `cleanup()` removes every directory this run created."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.made: dict[tuple[str, str, str], tuple[str, Path, str | None, str]] = {}
        self.fresh: list[Path] = []

    def _home_of(self, kind: str, release: str, python: str) -> tuple[Path, Path]:
        p, py = self.prefix, python.replace(".", "")
        if kind == "opt":
            home = p / "opt" / "clearwell" / release
            return home, home / "lib" / f"python{python}" / "site-packages"
        if kind == "srv":
            home = p / "srv" / "waterworks" / "deploy" / f"clearwell-{release}-cp{py}"
            return home, home / "pylib"
        if kind == "venv":
            home = p / "var" / "lib" / "clearwell" / "venvs" / f"agent-{release}-cp{py}"
            return home, home / "lib" / f"python{python}" / "site-packages"
        if kind == "home":
            home = p / "home" / "plantops" / "apps" / f"clearwell-{release}"
            return home, home / "lib" / f"python{python}" / "site-packages"
        home = p / "data" / "scada" / "releases" / release / f"cp{py}"
        return home, home / "site"

    def get(self, kind: str, release: str, python: str, base: str) -> tuple[str, Path, str | None, str]:
        """(interpreter, bin directory of the console scripts, PYTHONPATH or None, import root) of one install."""
        key = (kind, release, python)
        if key in self.made:
            return self.made[key]
        home, site = self._home_of(kind, release, python)
        missing = _outermost_missing(home)
        if missing is not None and not any(missing.is_relative_to(f) for f in self.fresh):
            self.fresh.append(missing)
        exe = base
        if kind == "venv":
            home.parent.mkdir(parents=True, exist_ok=True)
            if not (home / "bin" / "python").exists():
                subprocess.run([base, "-m", "venv", "--without-pip", str(home)], check=True)
            exe = str(home / "bin" / "python")
        site.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(site / "clearwell", ignore_errors=True)
        (site / "clearwell").mkdir()
        seed = RELEASES[release]
        for src in sorted(APP.glob("*.py")):
            (site / "clearwell" / src.name).write_text(shifted(src.read_text(), seed * 131 + len(src.name) if seed else 0))
        if not (site / "redis").exists():
            shutil.copytree(REDIS_PY, site / "redis", ignore=shutil.ignore_patterns("__pycache__"))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in SCRIPTS.items():
            write_console_script(bindir / name, exe, module)
        # a virtualenv finds its own site-packages; the other roots are put on PYTHONPATH by their service units
        self.made[key] = (exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 3, 8, 14]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["heartbeat", "scada-hb", "hb", "keepalive"]),
        "heartbeat_every": rng.choice([0.5, 2.0, 20.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["metrics", "prom-push", "telegraf", f"Thread-{rng.randint(2, 40)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 60.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3]),
        "upload_prefix": rng.choice(["", "report-upload", "sftp", "ThreadPoolExecutor-4"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 48),
        "pool_prefix": rng.choice(["", "feed", "portal", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "plant-job", f"Thread-{rng.randint(1, 60)}"]),
        "job_prefix": rng.choice(["", "jobs", "shift"]),
        "watch_every": rng.choice([0.5, 2.0, 5.0]),
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
        natives = set(rng.sample(range(n), int(n * 0.3 + rng.random())))  # 30% native over the corpus
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
    tmp = Path(tempfile.mkdtemp(prefix="clearwell-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            args = [cause.job, "--mode", v.how, "--opts", json.dumps(dict(v.options, **ends))]
            cmd = {"console-script": [str(bindir / "clearwell-agent"), *args],
                   "runpy": [exe, "-m", "clearwell.launcher", *args],
                   "shift": [str(bindir / "clearwell-shift"), *args]}[v.entry]
            proc = launch(cmd, env, tmp)
            info, _ = read_ready(proc, time.monotonic() + 60)
            if info is None:
                raise NotSettled(f"no READY: {(tmp / 'stderr.txt').read_text()[-600:]}")
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
    add_capture_options(parser, "corpus_blind5")
    parser.add_argument("--per-cause", type=int, default=5)
    parser.add_argument("--healthy-per-cause", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home, /data install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind5")
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
