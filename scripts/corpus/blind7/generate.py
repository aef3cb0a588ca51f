#!/usr/bin/env python3
"""Generate the seventh held-out corpus (fixtures/corpus_blind7/) from real hangs of rxrounds.

rxrounds (scripts/corpus/blind7/rxrounds/) is the ward-rounds service of a hospital pharmacy and its lab-sample
desk (dispensing cabinets and the formulary, the robot carousel, infusion pumps, the controlled-drug register,
label printing and verification, lab analysers, the pneumatic-tube courier, the EHR and the drug-knowledge
service, the ward pager), written without reading the analysis rules. Each capture runs one of its tasks for
real in a fresh process, with the variation of a fleet:

* CPython 3.9 .. 3.13 (pyenv builds; the redis-py task on 3.11+, where the vendored redis-py imports);
  install roots under /opt, /srv, a virtualenv under /var/lib, /home and /data; releases 4.2.0 and 4.3.1
  (4.3.1 = the same code with comment lines inserted);
* entry: the `rxrounds-agent` console script, `python -m rxrounds.dispatch`, or the `rxrounds-ward` console
  script (audit and retry decorators); the task runs in the main thread, in a task thread the main thread
  joins, `Event.wait`s for or polls with `join(timeout)`, or in a one-worker executor;
* bystanders: presence heartbeat sleep loops, an audit-metrics flusher on Event.wait(timeout), an idle upload
  pool, spent threads (moving the Thread-N counters), queued jobs and extra waiters behind the culprit.

Once the READY line arrived and every thread it names sits in its expected syscall for 3 polls of
/proc/PID/task/TID/syscall, the process is captured: a raw `py-spy dump --json` or, with `--capture hangdump`,
a live `hangdump collect --json --no-store`. Beside captures/ and labels.json the corpus keeps each release's
installed rxrounds tree under sources/<release>/ and source_roots.txt (captured install prefix=sources dir) for
source-root scoring. The capturers, settling, the black-hole upstreams, the release line shifts and the vendored
redis-py come from the fifth corpus's generator; realrun.py has the launch and capture loop.

    .venv/bin/python scripts/corpus/blind7/generate.py                          # -> fixtures/corpus_blind7/
    .venv/bin/python scripts/corpus/blind7/generate.py --per-cause 1 --out /tmp/b7 --only controlled-register-flock
    .venv/bin/python scripts/corpus/blind7/generate.py --capture hangdump --hangdump /tmp/venv/bin/hangdump
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

APP = HERE / "rxrounds"


@dataclass(frozen=True)
class Cause:
    task: str
    category: str
    culprits: tuple[str, ...]  # the innermost application frame(s) of the thread to blame first
    style: tuple[str, tuple[str, ...]] = ("", ())  # an option the variants alternate, and its values
    styled_culprits: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a style value -> its culprits
    min_python: tuple[int, int] = (3, 9)


CAUSES: dict[str, Cause] = {
    "cabinet-formulary-lock-order": Cause(
        "restock-cabinet", "deadlock", (), ("lock_style", ("module", "args")),
        {"module": ("mark_available", "count_drawer", "restock_drawer", "substitute_product"),
         "args": ("hold_both", "reconcile_ward_stock", "recall_batch")}),
    "signoff-never-recorded": Cause("verify-order", "condition-wait", ("await_signoff",),
                                    ("signal_style", ("condition", "event"))),
    "label-spooler-died": Cause("print-labels", "queue-wait", ("collect_labels",)),
    "pump-gateway-recv": Cause("pump-rates", "io-read", ("query_rate",)),
    "analyser-readline-restart-join": Cause("analyser-restart", "io-read", ("next_result",)),
    "ehr-post-future-hung": Cause("ehr-order-push", "io-read", ("post_med_order",)),
    "interaction-rlock-urlopen": Cause("interaction-refresh", "io-read", ("_download", "reload")),
    "ward-pager-redis-silent": Cause("ward-page", "io-read", ("page_ward",), min_python=(3, 11)),
    "tube-controller-connect-backlog": Cause("courier-dispatch", "io-read", ("open_courier_channel",)),
    "label-renderer-fork-lock": Cause("label-verify", "lock-wait", ("draw_datamatrix", "render_label_batch")),
    "controlled-register-flock": Cause("controlled-register", "flock", ("append_register_entry",)),
    "titration-newton-cycles": Cause("dose-titration", "busy", ("titrate_dose", "response_residual",
                                                                "response_slope")),
    "carousel-shim-holds-gil": Cause("carousel-pick", "gil", ("move_to_shelf",)),
    "stability-model-stdin-open": Cause("stability-plan", "subprocess-wait", ("run_stability_model",)),
    "aliquot-pool-worker-exited": Cause("aliquot-split", "pool-wait", ("split_aliquots",)),
    "healthy-lis-selector": Cause("lis-listener", "idle", ()),
    "healthy-ward-services": Cause("ward-services", "idle", ()),
    "healthy-sample-consumers": Cause("sample-consumers", "idle", ()),
    "healthy-dispense-pool": Cause("dispense-pool", "idle", ()),
    "healthy-compounding-pool": Cause("compounding-pool", "idle", ()),
    "healthy-results-asyncio": Cause("results-feed", "idle", ()),
}

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13")
BASE_RELEASE = "4.2.0"  # the version the app's tree says
RELEASES = {"4.2.0": 0, "4.3.1": 17}  # shift seed: 4.3.1 has comment/blank lines inserted
HARNESSES = {"inline": 4, "threaded": 2, "threaded-event": 1, "supervised": 1, "executor": 1}
ENTRIES = {"console-script": 4, "runpy": 3, "ward": 2}
SCRIPTS = {"rxrounds-agent": "rxrounds.console", "rxrounds-ward": "rxrounds.wardshell"}
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
        if cause.styled_culprits:
            return cause.styled_culprits[dict(self.options)[cause.style[0]]]
        return cause.culprits


def _home_of(prefix: Path, kind: str, release: str, python: str) -> tuple[Path, Path]:
    """(install home, the directory rxrounds/ is put in) of one root."""
    py = python.replace(".", "")
    if kind == "opt":
        home = prefix / "opt" / "rxrounds" / f"{release}-py{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "srv":
        home = prefix / "srv" / "pharmacy" / "rxrounds" / f"rel-{release}-cp{py}"
        return home, home / "app"
    if kind == "venv":
        home = prefix / "var" / "lib" / "rxrounds" / "venvs" / f"wards-{release}-cp{py}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    if kind == "home":
        home = prefix / "home" / "rxsvc" / "apps" / f"rxrounds-{release}-py{python}"
        return home, home / "lib" / f"python{python}" / "site-packages"
    home = prefix / "data" / "pharmacy-share" / "rxrounds" / release / f"cp{py}"
    return home, home / "pkgs"


def release_tree(release: str) -> dict[str, str]:
    """File name -> text of the rxrounds package as installed for `release`."""
    seed = RELEASES[release]
    tree = {}
    for src in sorted(APP.glob("*.py")):
        text = src.read_text().replace(f'__version__ = "{BASE_RELEASE}"', f'__version__ = "{release}"')
        tree[src.name] = shifted(text, seed * 131 + len(src.name) if seed else 0)
    return tree


def write_tree(tree: dict[str, str], package: Path) -> None:
    shutil.rmtree(package, ignore_errors=True)
    package.mkdir(parents=True)
    for name, text in tree.items():
        (package / name).write_text(text)


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
        write_tree(release_tree(release), site / "rxrounds")
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
        "spent_threads": rng.choice([0, 0, 1, 3, 5, 12, 21]),
        "heartbeats": rng.choice([0, 1, 1, 2, 3]),
        "heartbeat_name": rng.choice(["presence", "heartbeat", "hb", "ward-alive"]),
        "heartbeat_every": rng.choice([0.5, 5.0, 20.0]),
        "metrics": rng.random() < 0.65,
        "metrics_name": rng.choice(["audit-metrics", "prom-push", "statsd", f"Thread-{rng.randint(2, 60)}"]),
        "metrics_every": rng.choice([1.0, 10.0, 45.0]),
        "upload_pool": rng.choice([0, 0, 1, 2, 3, 4]),
        "upload_prefix": rng.choice(["", "report-upload", "pdf", "ThreadPoolExecutor-3"]),
        "queued": rng.randint(0, 4),
        "waiters": rng.randint(0, 3),
        "workers": rng.randint(2, 5),
        "rows": rng.randint(1, 4),
        "unit": rng.randint(1, 48),
        "pool_prefix": rng.choice(["", "ehr", "fhir", "w"]),
        "task_thread": rng.choice(["", f"task-{rng.randint(1, 30)}", "rounds-task", f"Thread-{rng.randint(1, 90)}"]),
        "task_prefix": rng.choice(["", "tasks", "rounds"]),
        "poll_join_every": rng.choice([0.5, 2.0, 5.0]),
        "poll_interval": rng.choice([0.5, 1.0, 2.0]),
        "housekeeping_every": rng.choice([1.0, 5.0, 30.0]),
        "status_every": rng.choice([5.0, 30.0]),
    }


def plan(per_cause: int, healthy_per_cause: int, pythons: list[str], seed: int, only: list[str]) -> list[Variant]:
    """Every variant, spread evenly over the interpreters a cause runs on; 30% native; a cause with a style
    alternates its values."""
    rng = random.Random(seed)
    variants = []
    for cause in only or list(CAUSES):
        spec = CAUSES[cause]
        n = healthy_per_cause if spec.category == "idle" else per_cause
        runs_on = [p for p in pythons if tuple(map(int, p.split("."))) >= spec.min_python]
        natives = set(rng.sample(range(n), int(n * 0.3 + rng.random())))
        offset = rng.randrange(len(runs_on))
        for k in range(n):
            options = noise(rng)
            option, values = spec.style
            if option:
                options[option] = values[k % len(values)]
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
    tmp = Path(tempfile.mkdtemp(prefix="rxrounds-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": pythonpath} if pythonpath else {}))
            args = [cause.task, "--mode", v.how, "--config", json.dumps(dict(v.options, **ends))]
            cmd = {"console-script": [str(bindir / "rxrounds-agent"), *args],
                   "runpy": [exe, "-m", "rxrounds.dispatch", *args],
                   "ward": [str(bindir / "rxrounds-ward"), *args]}[v.entry]
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
        "install_root": site, "release": v.release, "role": info.get("role", "main"),
    }


def write_sources(out: Path) -> None:
    """sources/<release>/rxrounds (each captured release's tree as installed) and source_roots.txt (one line per
    captured install prefix), from labels.json."""
    labels = json.loads((out / "labels.json").read_text())
    shutil.rmtree(out / "sources", ignore_errors=True)
    for release in sorted({label["release"] for label in labels.values()}):
        write_tree(release_tree(release), out / "sources" / release / "rxrounds")
    prefixes = sorted({(label["install_root"], label["release"]) for label in labels.values()})
    (out / "source_roots.txt").write_text("".join(f"{root}=sources/{release}\n" for root, release in prefixes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_capture_options(parser, "corpus_blind7")
    parser.add_argument("--per-cause", type=int, default=5)
    parser.add_argument("--healthy-per-cause", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(CAUSES))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the /opt, /srv, /var/lib, /home, /data install roots are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, "corpus_blind7")
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
        write_sources(out)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
