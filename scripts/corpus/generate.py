#!/usr/bin/env python3
"""Generate the labelled clustering corpus from REAL hangs.

Every hang program in ``fixtures/hangs/`` is run many times with variations that must not
split its cluster, and captured while it hangs:

* CPython 3.9 .. 3.13 (pyenv interpreters found on this machine),
* different install roots (a release directory with a time stamp, a virtualenv
  ``site-packages`` package, a home checkout, a versioned directory),
* different entry points (the script itself, ``python -m pkg.mod``, a wrapper that imports
  the module and calls ``main()``, ``runpy``),
* line numbers shifted by inserted comment lines,
* extra idle threads and thread-name counters (``--extra-idle-threads``, ``--name-suffix``),
* with and without ``--native``, and both output formats: a hangdump capture document
  (``hangdump collect --json``) or the raw ``py-spy dump --json`` output that ``hangdump
  import`` reads.

Output: ``OUT/captures/*.json`` (one file per capture) and ``OUT/labels.json``
(file name -> cause). Children that are the real victims (the forked worker stuck on the
log handler's lock, the pool worker) are captured too, labelled by their own role; a program
can also name a child's cause itself with a ``label`` key in its READY ``children``.

``--programs DIR`` takes the hang programs from another directory: the held-out set in
``scripts/corpus/heldout/`` shares its scaffolding through ``_*.py`` modules (copied next to
each program) and may declare several causes per program in ``scenarios.json``
(``{"label": {"program": name, "args": [...]}}``).

    python scripts/corpus/generate.py --out fixtures/corpus --runs 12
    python scripts/corpus/generate.py --heldout --runs 8      # -> fixtures/corpus_heldout
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures" / "hangs"
HELDOUT = Path(__file__).resolve().parent / "heldout"
MARKER = "# The hang itself."
# cause label of the main process, and of a child role (READY "children") worth capturing
CHILD_LABELS = {
    ("fork_logging_lock", "forked-worker"): "fork_logging_lock.child",
    ("mp_pool_wait", "task-worker"): "mp_pool_wait.task_worker",
}


def interpreters() -> list[str]:
    from forensics.hangs import python_interpreters

    return list(python_interpreters().values()) or [sys.executable]


def scenarios(programs: Path) -> dict[str, tuple[str, list[str]]]:
    """cause label -> (program name, extra argv); one cause per program unless scenarios.json says more."""
    out = {p.stem: (p.stem, []) for p in sorted(programs.glob("*.py")) if not p.name.startswith("_")}
    spec = programs / "scenarios.json"
    if spec.exists():
        for label, s in json.loads(spec.read_text()).items():
            out.pop(s["program"], None)
            out[label] = (s["program"], list(s.get("args", [])))
    return dict(sorted(out.items()))


def shifted_source(text: str, shift: int) -> str:
    """Insert ``shift`` comment lines before the hang section: every line below moves."""
    if shift <= 0 or MARKER not in text:
        return text
    filler = "".join(f"# release note {i}: nothing to see\n" for i in range(shift))
    return text.replace(MARKER, filler + MARKER, 1)


def layout(base: Path, name: str, variant: int, pyver: str, run: int) -> tuple[list[str], Path, dict]:
    """Write the program under one of several install roots; return (argv tail, cwd, extra env)."""
    stamp = f"2024{(run * 37) % 12 + 1:02d}{(run * 11) % 28 + 1:02d}T{run:04d}"
    kind = variant % 4
    if kind == 0:  # a release directory, run as a script
        d = base / "srv" / "app" / "releases" / stamp / "hangs"
        return [str(d / f"{name}.py")], d, {}
    if kind == 1:  # a package in a virtualenv's site-packages, run with -m
        sp = base / "opt" / "venvs" / f"app-{run}" / "lib" / f"python{pyver}" / "site-packages"
        d = sp / "hangapp"
        d.mkdir(parents=True, exist_ok=True)
        (d / "__init__.py").write_text("")
        return ["-m", f"hangapp.{name}"], base, {"PYTHONPATH": str(sp)}
    if kind == 2:  # a home checkout, started by a wrapper entry point
        d = base / "home" / "deploy" / f"checkout-{run}" / "svc"
        d.mkdir(parents=True, exist_ok=True)
        entry = d.parent / "serve.py"
        entry.write_text(
            f"import sys\nsys.path.insert(0, {str(d)!r})\nimport {name} as app\n\n\ndef start():\n    app.main()\n\n\n"
            "if __name__ == '__main__':\n    start()\n"
        )
        return [str(entry)], d.parent, {}
    d = base / f"app-v1.{run}.0" / "lib"  # a versioned directory, started through runpy
    d.mkdir(parents=True, exist_ok=True)
    entry = base / f"app-v1.{run}.0" / "launch.py"
    entry.write_text(
        f"import runpy\nimport sys\n\nsys.path.insert(0, {str(d)!r})\nrunpy.run_module({name!r}, run_name='__main__')\n"
    )
    return [str(entry)], base, {}


def target_dir(argv_tail: list[str], cwd: Path, env: dict, name: str) -> Path:
    if argv_tail[0] == "-m":
        return Path(env["PYTHONPATH"]) / "hangapp"
    p = Path(argv_tail[0])
    if p.name == f"{name}.py":
        return p.parent
    if p.name == "serve.py":
        return p.parent / "svc"
    return p.parent / "lib"


def wait_ready(proc: subprocess.Popen, timeout: float) -> dict | None:
    from forensics.hangs import read_ready

    return read_ready(proc, time.monotonic() + timeout)[0]


def pyspy_raw(pid: int, native: bool) -> bytes | None:
    from forensics.capture.pyspy import find_pyspy

    argv = [find_pyspy(None), "dump", "--json", "--pid", str(pid)] + (["--native"] if native else [])
    r = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    return r.stdout if r.returncode == 0 else None


def capture(pid: int, native: bool, raw: bool) -> bytes | None:
    if raw:
        return pyspy_raw(pid, native)
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect

    out = collect([pid], CollectOptions(native=native, timeout_s=30))[0]
    return out.capture.to_json().encode() if out.capture else None


def settle(ready: dict) -> None:
    """Give the hang a moment to reach its final wait (the READY line comes just before it)."""
    time.sleep(0.3)


def run_one(label: str, run: int, pythons: list[str], base: Path, out: Path, rng: random.Random,
            programs: Path = FIXTURES, program: str | None = None, extra: list[str] | None = None,
            ) -> list[tuple[str, str]]:
    """Run one cause once under one variation and capture it (and its labelled children)."""
    name = program or label
    py = pythons[run % len(pythons)]
    pyver = ".".join(subprocess.run([py, "-c", "import sys;print(sys.version_info[0], sys.version_info[1])"],
                                    capture_output=True, text=True, check=True).stdout.split())
    tail, cwd, env_extra = layout(base / f"{label}-{run}", name, run + sum(map(ord, label)) % 4, pyver, run)
    tdir = target_dir(tail, cwd, env_extra, name)
    tdir.mkdir(parents=True, exist_ok=True)
    (tdir / f"{name}.py").write_text(shifted_source((programs / f"{name}.py").read_text(), (run * 7) % 23))
    for helper in {*programs.glob("_*.py"), FIXTURES / "_scaffold.py"}:  # the scaffolding programs import
        shutil.copy(helper, tdir / helper.name)
    tmp = base / f"{label}-{run}" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    args = [py] + tail + list(extra or []) + ["--extra-idle-threads", str(rng.choice([0, 0, 1, 2, 3]))]
    if run % 2:
        args += ["--name-suffix", f"-{rng.randint(1, 99)}"]
    native = run % 2 == 0
    raw = run % 3 == 2
    env = dict(os.environ, **env_extra, HANGDUMP_FIXTURE_PARENT=str(os.getpid()), TMPDIR=str(tmp))
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    written = []
    try:
        ready = wait_ready(proc, 30)
        if ready is None:
            print(f"  {label} run {run}: no READY", file=sys.stderr)
            return []
        settle(ready)
        targets = [(ready["pid"], label)]
        for child in ready.get("children", []):
            role = child.get("role")
            if name == "mp_pool_wait" and child.get("expect", {}).get("MainThread") == "sleep":
                role = "task-worker"
            child_label = f"{label}.{child['label']}" if child.get("label") else CHILD_LABELS.get((name, role))
            if child_label:
                targets.append((child["pid"], child_label))
        for pid, target_label in targets:
            data = capture(pid, native, raw)
            if data is None:
                print(f"  {label} run {run}: capture of {pid} failed", file=sys.stderr)
                continue
            fname = f"{target_label}-r{run:02d}-py{pyver}{'-native' if native else ''}{'-pyspy' if raw else ''}.json"
            (out / "captures" / fname).write_bytes(data)
            written.append((fname, target_label))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="output directory (default: fixtures/corpus, or "
                    "fixtures/corpus_heldout with --heldout)")
    ap.add_argument("--programs", default=None, help="directory of hang programs (default: fixtures/hangs)")
    ap.add_argument("--heldout", action="store_true", help="the held-out programs of scripts/corpus/heldout/")
    ap.add_argument("--runs", type=int, default=12, help="captures per cause")
    ap.add_argument("--only", nargs="*", help="fixture names (default: all)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--gzip", action="store_true", help="also write OUT/corpus.json.gz (all captures in one file)")
    args = ap.parse_args(argv)
    programs = Path(args.programs) if args.programs else (HELDOUT if args.heldout else FIXTURES)
    out = Path(args.out or ROOT / "fixtures" / ("corpus_heldout" if args.heldout else "corpus"))
    (out / "captures").mkdir(parents=True, exist_ok=True)
    labels_path = out / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    causes = scenarios(programs)
    names = args.only or list(causes)
    pythons = interpreters()
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="hdcorpus-"))
    try:
        for name in names:
            t0 = time.monotonic()
            program, extra = causes[name]
            for run in range(args.runs):
                for fname, label in run_one(name, run, pythons, base, out, rng, programs, program, extra):
                    labels[fname] = label
            labels_path.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
            print(f"{name} ({program}): {time.monotonic() - t0:.1f}s", file=sys.stderr)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if args.gzip:
        bundle = {f: json.loads((out / "captures" / f).read_bytes()) for f in sorted(labels)}
        with gzip.open(out / "corpus.json.gz", "wt") as fh:
            json.dump(bundle, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
