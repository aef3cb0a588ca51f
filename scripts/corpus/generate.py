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
log handler's lock, the pool worker) are captured too, labelled by their own role.

    python scripts/corpus/generate.py --out fixtures/corpus --runs 12
"""
from __future__ import annotations

import argparse
import glob
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
MARKER = "# The hang itself."
# cause label of the main process, and of a child role (READY "children") worth capturing
CHILD_LABELS = {
    ("fork_logging_lock", "forked-worker"): "fork_logging_lock.child",
    ("mp_pool_wait", "task-worker"): "mp_pool_wait.task_worker",
}


def interpreters() -> list[str]:
    found = []
    for minor in (9, 10, 11, 12, 13):
        hits = sorted(glob.glob(f"/root/.pyenv/versions/3.{minor}.*/bin/python3.{minor}"))
        hits += [p for p in (shutil.which(f"python3.{minor}") or "",) if p and "shims" not in p]
        if hits:
            found.append(hits[0])
    return found or [sys.executable]


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
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        for line in buf.split(b"\n"):
            if line.startswith(b"READY "):
                return json.loads(line[6:])
    return None


def pyspy_raw(pid: int, native: bool) -> bytes | None:
    from forensics.capture.pyspy import find_pyspy

    argv = [find_pyspy(None), "dump", "--json", "--pid", str(pid)] + (["--native"] if native else [])
    r = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    return r.stdout if r.returncode == 0 else None


def capture(pid: int, native: bool, raw: bool) -> bytes | None:
    if raw:
        return pyspy_raw(pid, native)
    from forensics.capture.live import CollectOptions, collect

    out = collect([pid], CollectOptions(native=native, timeout_s=30))[0]
    return out.capture.to_json().encode() if out.capture else None


def settle(ready: dict) -> None:
    """Give the hang a moment to reach its final wait (the READY line comes just before it)."""
    time.sleep(0.3)


def run_one(name: str, run: int, pythons: list[str], base: Path, out: Path, rng: random.Random) -> list[tuple[str, str]]:
    py = pythons[run % len(pythons)]
    pyver = ".".join(subprocess.run([py, "-c", "import sys;print(sys.version_info[0], sys.version_info[1])"],
                                    capture_output=True, text=True, check=True).stdout.split())
    tail, cwd, env_extra = layout(base / f"{name}-{run}", name, run + sum(map(ord, name)) % 4, pyver, run)
    tdir = target_dir(tail, cwd, env_extra, name)
    tdir.mkdir(parents=True, exist_ok=True)
    (tdir / f"{name}.py").write_text(shifted_source((FIXTURES / f"{name}.py").read_text(), (run * 7) % 23))
    shutil.copy(FIXTURES / "_scaffold.py", tdir / "_scaffold.py")  # what every program imports
    args = [py] + tail + ["--extra-idle-threads", str(rng.choice([0, 0, 1, 2, 3]))]
    if run % 2:
        args += ["--name-suffix", f"-{rng.randint(1, 99)}"]
    native = run % 2 == 0
    raw = run % 3 == 2
    env = dict(os.environ, **env_extra, HANGDUMP_FIXTURE_PARENT=str(os.getpid()))
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    written = []
    try:
        ready = wait_ready(proc, 30)
        if ready is None:
            print(f"  {name} run {run}: no READY", file=sys.stderr)
            return []
        settle(ready)
        targets = [(ready["pid"], name)]
        for child in ready.get("children", []):
            role = child.get("role")
            if name == "mp_pool_wait" and child.get("expect", {}).get("MainThread") == "sleep":
                role = "task-worker"
            label = CHILD_LABELS.get((name, role))
            if label:
                targets.append((child["pid"], label))
        for pid, label in targets:
            data = capture(pid, native, raw)
            if data is None:
                print(f"  {name} run {run}: capture of {pid} failed", file=sys.stderr)
                continue
            fname = f"{label}-r{run:02d}-py{pyver}{'-native' if native else ''}{'-pyspy' if raw else ''}.json"
            (out / "captures" / fname).write_bytes(data)
            written.append((fname, label))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "fixtures" / "corpus"))
    ap.add_argument("--runs", type=int, default=12, help="captures per cause")
    ap.add_argument("--only", nargs="*", help="fixture names (default: all)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--gzip", action="store_true", help="also write OUT/corpus.json.gz (all captures in one file)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    (out / "captures").mkdir(parents=True, exist_ok=True)
    labels_path = out / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() else {}
    names = args.only or sorted(p.stem for p in FIXTURES.glob("*.py"))
    pythons = interpreters()
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="hdcorpus-"))
    try:
        for name in names:
            t0 = time.monotonic()
            for run in range(args.runs):
                for fname, label in run_one(name, run, pythons, base, out, rng):
                    labels[fname] = label
            labels_path.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
            print(f"{name}: {time.monotonic() - t0:.1f}s", file=sys.stderr)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if args.gzip:
        bundle = {f: json.loads((out / "captures" / f).read_bytes()) for f in sorted(labels)}
        with gzip.open(out / "corpus.json.gz", "wt") as fh:
            json.dump(bundle, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
