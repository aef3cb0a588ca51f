#!/usr/bin/env python3
"""Generate the eighth held-out corpus (fixtures/corpus_blind8/) from real hangs of teuflow.

teuflow (scripts/corpus/blind8/teuflow/) is the terminal operating agent of a container port (ship-to-shore
crane spreaders and hoists, trolley drives, RTG yard moves, gate OCR lanes, customs releases, reefer alarms,
BAPLIE bay plans, the stowage solver, tally uploads, lashing bridges, the gate journal), written without reading
the analysis rules. Each capture runs one of its jobs for real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py job on 3.11+, where the vendored redis-py imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 7.4.1 and 7.5.0
  (7.5.0 = the same code with comment lines inserted);
* entry: the `teuflow-agent` console script, `python -m teuflow`, or the `teuflow-shift` console script
  (audit and retry decorators); the job runs in the main thread, in a job thread the main thread joins,
  `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: PLC keepalive sleep loops, a KPI flusher on Event.wait(timeout), an idle photo-upload pool, spent
  threads (moving the Thread-N counters), queued moves and extra waiters behind the culprit;
* one job forks: its child (the captured process) blocks on a lock another thread held at the fork.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. The capturers, settling, the black-hole upstreams and the release
line shifts come from the earlier corpora's generators (realrun.sibling_generator); realrun.py has the launch and
capture loop. Each release's installed package tree is kept under <out>/sources/<release>/ and every install
root used is mapped to it in <out>/source_roots.txt.

    .venv/bin/python scripts/corpus/blind8/generate.py                          # -> fixtures/corpus_blind8/
    .venv/bin/python scripts/corpus/blind8/generate.py --per-cause 1 --out /tmp/b8 --only edi-baplie-flock
    .venv/bin/python scripts/corpus/blind8/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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

APP = HERE / "teuflow"


@dataclass(frozen=True)
class Cause:
    job: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame(s) of the thread to blame first
    styles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a style option's value -> its culprits
    min_python: tuple[int, int] = (3, 9)
    role: str = "main"


CAUSES: dict[str, Cause] = {
    "spreader-hoist-lock-order": Cause("crane-handover", "deadlock", (), {
        "module": ("raise_hoist", "release_twistlocks", "lock_spreader", "lower_hoist"),
        "rlock": ("reassign_crane", "_note", "swap_gang")}),
    "ocr-link-recv": Cause("ocr-gate-read", "io-read", ("read_frame",)),
    "customs-release-urlopen": Cause("customs-release", "io-read", ("fetch_release_status",)),
    "reefer-alarm-redis-silent": Cause("reefer-alarm", "io-read", ("push_reefer_alarm",), min_python=(3, 11)),
    "baplie-flock": Cause("baplie-append", "flock", ("append_baplie_segment",)),
    "stowage-solver-never-exits": Cause("stowage-plan", "subprocess-wait", ("run_stowage_solver",)),
    "rtg-telemetry-died": Cause("yard-dispatch", "queue-wait", ("next_yard_move",)),
    "berth-window-never-posted": Cause("berth-window", "condition-wait", ("await_berth_window",)),
    "tally-upload-future-hung": Cause("tally-upload", "io-read", ("post_tally_sheet",)),
    "lashing-plc-connect-join": Cause("lashing-check", "io-read", ("open_lashing_plc",)),
    "stack-balance-diverges": Cause("stack-balance", "busy", ("redistribute", "settle_stack_weights")),
    "trolley-drive-holds-gil": Cause("trolley-move", "gil", ("write_trolley_setpoint",)),
    "journal-lock-held-across-fork": Cause("manifest-export", "lock-wait", ("record_gate_event",),
                                           role="fork-child"),
    "healthy-gate-selector": Cause("gate-lanes", "idle", ()),
    "healthy-terminal-shutdown-wait": Cause("terminal-services", "idle", ()),
    "healthy-berth-monitor-join": Cause("berth-monitor", "idle", ()),
    "healthy-photo-pools": Cause("photo-pools", "idle", ()),
    "healthy-yard-heartbeat": Cause("yard-heartbeat", "idle", ()),
    "healthy-edi-asyncio": Cause("edi-loop", "idle", ()),
}
STYLE_OPTION = {"spreader-hoist-lock-order": "lock_style", "berth-window-never-posted": "signal_style"}
STYLE_VALUES = {"lock_style": ("module", "rlock"), "signal_style": ("condition", "event")}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
RELEASES = {"7.4.1": 0, "7.5.0": 17}  # shift seed: 7.5.0 has comment/blank lines inserted
HARNESSES = {"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1}
ENTRIES = {"console-script": 4, "runpy": 3, "shift": 2}
SCRIPTS = {"teuflow-agent": "teuflow.console", "teuflow-shift": "teuflow.nightshift"}
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
    """(install home, the directory teuflow/ is put in) of one root."""
    py = python.replace(".", "")
    if kind == "opt":
        home = prefix / "opt" / "teuflow" / f"teuflow-{release}-py{python}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "srv":
        home = prefix / "srv" / "terminal" / "tos" / f"teuflow_{release.replace('.', '')}_cp{py}"
        return home, home / "app"
    if kind == "venv":
        home = prefix / "var" / "lib" / "teuflow" / "virtualenvs" / f"crane-agent-{release}-cp{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "home":
        home = prefix / "home" / "tosops" / "releases" / f"teuflow-{release}-py{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    home = prefix / "data" / "portshare" / "teuflow" / release / f"cp{py}"
    return home, home / "site"


def installed_tree(release: str) -> dict[str, str]:
    """teuflow's files as a release installs them (file name -> text)."""
    seed = RELEASES[release]
    return {src.name: shifted(src.read_text(), seed * 131 + len(src.name) if seed else 0)
            for src in sorted(APP.glob("*.py"))}


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
        shutil.rmtree(site / "teuflow", ignore_errors=True)
        (site / "teuflow").mkdir()
        for name, text in installed_tree(release).items():
            (site / "teuflow" / name).write_text(text)
        if not (site / "redis").exists():
            shutil.copytree(REDIS_PY, site / "redis", ignore=shutil.ignore_patterns("__pycache__"))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in SCRIPTS.items():
            write_console_script(bindir / name, exe, module)
        # a virtualenv finds its own site-packages; the other roots are put on PYTHONPATH by their units
        self.made[key] = (exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def write_sources(self, out: Path) -> None:
        """<out>/sources/<release>/teuflow/ as installed, and source_roots.txt: every install root -> its release."""
        shutil.rmtree(out / "sources", ignore_errors=True)
        lines = set()
        for (_, release, _), (_, _, _, site) in self.made.items():
            tree = out / "sources" / release / "teuflow"
            if not tree.exists():
                tree.mkdir(parents=True)
                for name, text in installed_tree(release).items():
                    (tree / name).write_text(text)
            lines.add(f"{site}=sources/{release}")
        (out / "source_roots.txt").write_text("".join(f"{line}\n" for line in sorted(lines)))

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def noise(rng: random.Random) -> dict[str, object]:
    """The bystanders and counters of one variant."""
    return {
        "spent_threads": rng.choice([0, 0, 1, 2, 5, 9, 17]),
        "keepalives": rng.choice([0, 1, 1, 2, 3]),
        "keepalive_name": rng.choice(["plc-keepalive", "keepalive", "hb", "crane-alive"]),
        "keepalive_every": rng.choice([0.5, 3.0, 30.0]),
        "kpis": rng.random() < 0.65,
        "kpi_name": rng.choice(["kpi-flush", "statsd", "influx-push", f"Thread-{rng.randint(2, 45)}"]),
        "kpi_every": rng.choice([1.0, 10.0, 60.0]),
        "photo_pool": rng.choice([0, 0, 1, 2, 3, 4]),
        "photo_prefix": rng.choice(["", "photo-upload", "damage-cam", "ThreadPoolExecutor-3"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "stackers": rng.randint(1, 3),
        "rows": rng.randint(1, 3),
        "unit": rng.randint(1, 24),
        "pool_prefix": rng.choice(["", "tally", "portal", "w"]),
        "job_thread": rng.choice(["", f"job-{rng.randint(1, 30)}", "tos-job", f"Thread-{rng.randint(1, 70)}"]),
        "job_prefix": rng.choice(["", "jobs", "night"]),
        "join_every": rng.choice([0.5, 2.0, 5.0]),
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
    tmp = Path(tempfile.mkdtemp(prefix="teuflow-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            args = [cause.job, "--mode", v.how, "--settings", json.dumps(dict(v.options, **ends))]
            cmd = {"console-script": [str(bindir / "teuflow-agent"), *args],
                   "runpy": [exe, "-m", "teuflow", *args],
                   "shift": [str(bindir / "teuflow-shift"), *args]}[v.entry]
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
        "install_root": site, "release": v.release, "role": cause.role,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind8")
    parser.add_argument("--per-cause", type=int, default=4)
    parser.add_argument("--healthy-per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home, /data install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind8")
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
        roots.write_sources(out)
    finally:
        roots.cleanup()
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
