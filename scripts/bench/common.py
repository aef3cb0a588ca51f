"""What the benchmarks share: hung targets of both shapes, the installed package, paired timings, stores.

* Targets: ``deep`` (N threads blocked in one lock wait, 13 frames deep) and ``shallow`` (a two-lock
  deadlock beside an idle ThreadPoolExecutor, a few frames each), READY once every thread is parked.
* ``installed(ref)``: the package as a user gets it: a clean ``git archive`` of ``ref`` ``pip install``-ed
  (byte-compiled, not editable) into a scratch venv, reused while the commit is the same.
* ``paired``: alternating runs of several commands (a, b, a, b, ...) so load drift on a shared machine hits
  each alike; medians, never best-of.
* ``synthesize_store``: a store of N captures whose stacks vary per capture, grown from the labelled corpus.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENVS = Path(os.environ.get("HANGDUMP_BENCH_VENV", "/tmp/hd-bench-venv"))

DEEP = r"""
import sys, threading
n = int(sys.argv[1])
gate = threading.Lock(); gate.acquire()
started = threading.Barrier(n + 1)
def handle(depth):
    if depth:
        return handle(depth - 1)
    started.wait()
    with gate:
        pass
def worker():
    handle(12)
for i in range(n):
    threading.Thread(target=worker, name="pool-%d" % i, daemon=True).start()
started.wait()
print("READY", flush=True)
gate.acquire()
"""

# Two threads in a lock-order deadlock, and an idle pool: every worker back in its queue's get().
SHALLOW = r"""
import sys, threading
from concurrent.futures import ThreadPoolExecutor, wait
n = max(int(sys.argv[1]) - 3, 1)
a, b = threading.Lock(), threading.Lock()
both = threading.Barrier(3)
def take(first, second):
    with first:
        both.wait()
        with second:
            pass
threading.Thread(target=take, args=(a, b), name="transfer-a", daemon=True).start()
threading.Thread(target=take, args=(b, a), name="transfer-b", daemon=True).start()
both.wait()
pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="idle")
arrived = threading.Barrier(n + 1)
futures = [pool.submit(arrived.wait) for _ in range(n)]
arrived.wait()
wait(futures)
print("READY", flush=True)
threading.Event().wait()
"""

SHAPES = {"deep": DEEP, "shallow": SHALLOW}


def spawn(threads: int, python: str = sys.executable, shape: str = "deep") -> subprocess.Popen:
    """A hung process of about ``threads`` threads in the given shape; returns once they are all parked."""
    proc = subprocess.Popen([python, "-c", SHAPES[shape], str(threads)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    line = proc.stdout.readline()
    if line.strip() != "READY":
        proc.kill()
        raise SystemExit(f"target did not start: {line!r}")
    return proc


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.kill()
        p.wait()


def timed(argv: list[str], env: dict | None = None, shell: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, shell=shell)
    return time.perf_counter() - start


def paired(fns: dict, runs: int) -> dict[str, float]:
    """Median seconds of each fn, the fns called in turn (a, b, a, b, ...), after one unmeasured warm-up round."""
    for fn in fns.values():
        fn()
    times: dict = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            times[k].append(fn())
    return {k: statistics.median(v) for k, v in times.items()}


def versus(ours: float, base: float) -> str:
    """A ratio with the absolute difference beside it: a 2x on 20 ms is 20 ms, on 1 s it is a second."""
    return f"{ours / base:5.2f}x  ({(ours - base) * 1000:+8.1f} ms)"


def cores() -> int:
    return len(os.sched_getaffinity(0))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


def installed(ref: str = "HEAD") -> Path:
    """The bin/ directory of a scratch venv holding ``ref`` installed with ``pip install .`` from a clean export.

    A dirty work tree is not what gets measured (only the commit is), so say so rather than mislead."""
    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    if ref == "HEAD" and _git("status", "--porcelain", "--untracked-files=no", "--", "forensics", "pyproject.toml"):
        print("bench: uncommitted changes in forensics/ are not measured (commit them first)", file=sys.stderr)
    # keyed by the package's content, not the commit: a commit touching only tests or benchmarks reuses it
    key = _git("rev-parse", f"{sha}:forensics", f"{sha}:pyproject.toml").replace("\n", "")
    venv = VENVS / hashlib.sha1(key.encode()).hexdigest()[:12]
    marker = venv / ".installed"
    if not marker.exists():
        with tempfile.TemporaryDirectory(prefix="hd-bench-src-") as src:
            archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=REPO, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", src], check=True)
        marker.write_text(sha + "\n")
        print(f"bench: installed {ref} ({sha[:12]}) into {venv}", file=sys.stderr)
    return venv / "bin"


# -- synthetic stores --------------------------------------------------------------------------------------

_LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"


def corpus_templates() -> list[dict]:
    """Every capture of the labelled corpus of real hangs, as documents (imported with the checkout's code:
    synthesis is not what is measured)."""
    sys.path.insert(0, str(REPO))
    from forensics.importers.files import import_file

    corpus = REPO / "fixtures" / "corpus"
    labels = json.loads((corpus / "labels.json").read_text())
    return [import_file(str(corpus / "captures" / name)).to_dict() for name in sorted(labels)]


def vary(template: dict, rng: random.Random, i: int, when: float) -> dict:
    """One capture grown from ``template`` the way a fleet varies: identity, its own release stamp in every
    application path, its own line shift, thread-name counters, extra threads, native roots. Every capture's
    text differs; what the hang is known by (its frames and their order) is kept: a month of one bug is many
    different captures of one cause (random frames in the culprits would make each capture its own cause)."""
    d = copy.deepcopy(template)
    host = f"host{rng.randrange(50):02d}"
    pid = rng.randrange(1000, 4_000_000)
    stamp = f"2025{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}T{rng.randrange(10000):04d}"
    shift = rng.randint(0, 40)
    threads = d["threads"]
    if threads:
        for _ in range(rng.choice((0, 0, 1, 3, 8))):
            extra = copy.deepcopy(threads[-1])
            extra["name"] = f"{extra.get('name') or 'worker'}-x{rng.randrange(1000)}"
            threads.append(extra)
    for n, t in enumerate(threads):
        t["tid"] = pid + n
        if t.get("name"):
            t["name"] = f"{t['name']}-{rng.randrange(1, 999)}"
        for f in t["frames"]:
            fl = f.get("file") or ""
            if f.get("kind") == "python" and "/lib/python" not in fl and fl.startswith("/"):
                f["file"] = f"/srv/app/releases/{stamp}/" + os.path.basename(fl)
                if isinstance(f.get("line"), int):
                    f["line"] += shift
        if rng.random() < 0.5:
            t["frames"].extend({"kind": "native", "function": fn, "file": _LIBC, "module": _LIBC}
                               for fn in ("start_thread", "clone3"))
    ident = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(when))}.{int(when * 1000) % 1000:03d}Z-{host}-{pid}-{i:06x}"
    d.update(id=ident, host=host, pid=pid, taken_at=when, source=None)
    return d


def synthesize_store(root: Path, n: int, seed: int = 1) -> int:
    """Write ``n`` varied captures over 30 days into ``root/captures``; returns the bytes written.
    Some causes are much commoner than others (weighted templates), as in a fleet."""
    rng = random.Random(seed)
    base = corpus_templates()
    weights = [rng.uniform(0.2, 3.0) for _ in base]
    out = root / "captures"
    out.mkdir(parents=True, exist_ok=True)
    t0 = 1_760_000_000.0
    total = 0
    for i in range(n):
        doc = vary(rng.choices(base, weights)[0], rng, i, t0 + rng.random() * 30 * 86400)
        data = json.dumps(doc).encode()
        total += len(data)
        (out / f"{doc['id']}.json").write_bytes(data)
    return total


def store_of(n: int, where: Path | None = None, seed: int = 1) -> Path:
    """A synthesized store of ``n`` captures, reused when ``where`` already holds one of that size."""
    root = where or Path(f"/tmp/hd-bench-store-{n}")
    caps = root / "captures"
    if caps.is_dir() and sum(1 for e in os.scandir(caps) if e.name.endswith(".json")) == n:
        return root
    if caps.is_dir():
        for e in os.scandir(caps):
            os.unlink(e.path)
    started = time.perf_counter()
    size = synthesize_store(root, n, seed)
    print(f"bench: synthesized {n} captures ({size / 1e6:.0f} MB) in {root} in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return root
