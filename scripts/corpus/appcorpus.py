"""A held-out corpus generator for one application (blind5 onwards), given only what differs between corpora:
the application (its package, install layout, entries, flags), its causes, its fleet variation and its noise.
Each variant runs the application's job for real in a fresh process, waits for its READY line and for every
thread it names to settle, captures it (a raw `py-spy dump --json`, or a live `hangdump collect`) and labels it.
The capturers come from the fourth corpus's generator, settling and the black-hole upstreams from the second's;
realrun.py has the launch and the capture loop."""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from installs import Install, Package, Roots, write_sources
from realrun import NotSettled, capture_all, launch, program_env, sibling_generator
from variants import Cause, Fleet, Variant, plan

from forensics.hangs import kill_group, python_interpreters, read_ready

_b4 = sibling_generator("blind4")
Capturer, add_capture_options, chosen_capture = _b4.Capturer, _b4.add_capture_options, _b4.chosen_capture
wait_settled, upstreams = _b4.wait_settled, _b4.upstreams

PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")


@dataclass(frozen=True)
class App:
    corpus: str  # fixtures/<corpus> (and <corpus>_live for live captures)
    package: Package
    causes: Mapping[str, Cause]
    fleet: Fleet
    noise: Callable[[random.Random], dict[str, object]]  # the bystanders and counters of one variant
    commands: Mapping[str, str]  # entry -> a console script of package.scripts, or "-m <module>"
    flags: tuple[str, str] = ("--mode", "--opts")  # how the program takes the harness and the options JSON
    per_cause: int = 4
    idle_per_cause: int = 3
    keep_sources: bool = True  # write sources/ and source_roots.txt beside the captures

    def command(self, v: Variant, install: Install, options: dict[str, object]) -> list[str]:
        """The program's command line for variant `v` from `install`."""
        how = self.commands[v.entry]
        start = [install.python, "-m", how[3:]] if how.startswith("-m ") else [str(install.bindir / how)]
        mode_flag, options_flag = self.flags
        return [*start, self.causes[v.cause].command, mode_flag, v.mode, options_flag, json.dumps(options)]


def run_variant(app: App, v: Variant, roots: Roots, pythons: dict[str, str], captures: Path,
                capturer: Capturer) -> dict:
    """Run one variant, capture it into captures/, return its label."""
    cause = app.causes[v.cause]
    install = roots.get(v.root_kind, v.release, v.python, pythons[v.python])
    tmp = Path(tempfile.mkdtemp(prefix=f"{app.package.name}-"))
    proc = None
    try:
        with upstreams(tmp) as ends:
            env = program_env(TMPDIR=str(tmp), **({"PYTHONPATH": install.pythonpath} if install.pythonpath else {}))
            proc = launch(app.command(v, install, dict(v.options, **ends)), env, tmp)
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
        "harness": v.entry if v.mode == "inline" else v.mode, "entry": v.entry, "mode": v.mode,
        "install_root": install.site, "release": v.release, "role": cause.role or info.get("role", "main"),
    }


def main(app: App, description: str, argv: Sequence[str] | None = None) -> int:
    """The generator's command line: plan, run and capture every variant into --out, then its sources."""
    parser = argparse.ArgumentParser(description=description)
    add_capture_options(parser, app.corpus)
    parser.add_argument("--per-cause", type=int, default=app.per_cause)
    parser.add_argument("--healthy-per-cause", type=int, default=app.idle_per_cause)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--only", action="append", default=[], choices=sorted(app.causes))
    parser.add_argument("--root-prefix", type=Path, default=Path("/"),
                        help="where the install roots (/opt, /srv, /var/lib, ...) are made (removed afterwards)")
    args = parser.parse_args(argv)
    capturer, out = chosen_capture(args, app.corpus)
    # realpath: a virtualenv's python stands for its base interpreter
    pythons = {k: os.path.realpath(p) for k, p in python_interpreters((3, 9)).items() if k in PYTHONS}
    variants = plan(app.causes, app.fleet, list(app.package.releases), app.noise, args.per_cause,
                    args.healthy_per_cause, list(pythons), args.seed, args.only)
    captures = out / "captures"
    shutil.rmtree(captures, ignore_errors=True)
    captures.mkdir(parents=True)
    roots = Roots(app.package, args.root_prefix)
    try:
        complete = capture_all(variants, lambda v: run_variant(app, v, roots, pythons, captures, capturer),
                               out / "labels.json")
    finally:
        roots.cleanup()
        if app.keep_sources:
            write_sources(out, app.package)
    return 0 if complete else 1
