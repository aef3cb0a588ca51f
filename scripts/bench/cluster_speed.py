#!/usr/bin/env python3
"""Clustering speed: ``hangdump clusters`` on N synthesized captures vs merely reading and parsing them.

Captures are resampled from the labelled corpus of real hangs (``fixtures/corpus``) and perturbed
the way a fleet perturbs them: new ids, hosts, pids and times over 30 days, shifted line numbers,
release-directory stamps, thread-name counters, padded to about 10 threads of about 30 frames
(extra idle threads, native frames towards the root). They are written into a store directory;
then, with a warm page cache, the script times

* parse: read every file and ``json.loads`` it (best of 2 runs, the floor any reader pays);
* clusters: ``hangdump clusters --json`` as a subprocess on the same store (best of 2 runs),
  with its peak RSS (``ru_maxrss`` of the child).

    python scripts/bench/cluster_speed.py --n 100000 [--dir /tmp/hdspeed] [--keep]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

NATIVE_ROOT = [
    {"kind": "native", "function": f, "file": "/usr/lib/x86_64-linux-gnu/libc.so.6",
     "module": "/usr/lib/x86_64-linux-gnu/libc.so.6"}
    for f in ("start_thread", "clone3")
]


def templates(corpus: Path) -> list[dict]:
    from forensics.importers.files import import_file

    out = []
    labels = json.loads((corpus / "labels.json").read_text())
    for name in sorted(labels):
        out.append(import_file(str(corpus / "captures" / name)).to_dict())
    return out


def pad(d: dict, rng: random.Random) -> dict:
    d = copy.deepcopy(d)
    threads = d["threads"]
    idle = next((t for t in threads if any(f.get("function", "").endswith("idle_wait") for f in t["frames"])), None)
    filler = idle or threads[-1]
    while len(threads) < 10:
        t = copy.deepcopy(filler)
        t["tid"] = rng.randint(1000, 4_000_000)
        t["name"] = f"{filler.get('name') or 'worker'}-{len(threads)}"
        threads.append(t)
    for t in threads:
        frames = t["frames"]
        while len(frames) < 30:
            frames.append(dict(NATIVE_ROOT[len(frames) % 2]))
    return d


def variant(d: dict, rng: random.Random, k: int) -> str:
    """One perturbed JSON text with placeholders for the per-file identity fields."""
    d = copy.deepcopy(d)
    shift = rng.randint(0, 40)
    stamp = f"2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}T{k:04d}"
    for t in d["threads"]:
        if t.get("name"):
            t["name"] = f"{t['name']}-{rng.randint(1, 999)}"
        for f in t["frames"]:
            fl = f.get("file") or ""
            if f.get("kind") == "python" and "/lib/python" not in fl and fl.startswith("/"):
                f["file"] = f"/srv/app/releases/{stamp}/" + os.path.basename(fl)
                if isinstance(f.get("line"), int):
                    f["line"] += shift
    d.update(id="@@ID@@", host="@@HOST@@", pid=424242, taken_at=1.5e9, source=None)
    text = json.dumps(d)
    return text.replace('"pid": 424242', '"pid": @@PID@@').replace('"taken_at": 1500000000.0', '"taken_at": @@T@@')


def synthesize(n: int, store: Path, seed: int) -> int:
    rng = random.Random(seed)
    base = [pad(d, rng) for d in templates(ROOT / "fixtures" / "corpus")]
    variants = [variant(d, rng, k) for d in base for k in range(8)]
    cap_dir = store / "captures"
    cap_dir.mkdir(parents=True, exist_ok=True)
    t0 = 1_760_000_000.0
    total = 0
    for i in range(n):
        text = rng.choice(variants)
        when = t0 + rng.random() * 30 * 86400
        ident = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(when))}Z-host{i % 50}-{i}"
        text = (text.replace("@@ID@@", ident).replace("@@HOST@@", f"host{i % 50}")
                .replace("@@PID@@", str(10000 + i)).replace("@@T@@", repr(when)))
        data = text.encode()
        total += len(data)
        (cap_dir / f"{ident}.json").write_bytes(data)
    return total


def parse_all(store: Path) -> float:
    t = time.perf_counter()
    d = store / "captures"
    for name in sorted(os.listdir(d)):
        with open(d / name, "rb") as fh:
            json.loads(fh.read())
    return time.perf_counter() - t


def clusters(store: Path) -> tuple[float, int, int]:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "forensics", "clusters", "--json"], env=env, capture_output=True,
                       check=True)
    elapsed = time.perf_counter() - t
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, rss_kib, len(json.loads(r.stdout))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dir", default=None, help="store directory (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the synthesized store (reused when --dir has one)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    store = Path(args.dir or f"/tmp/hdspeed-{args.n}")
    existing = store / "captures"
    if existing.is_dir() and len(os.listdir(existing)) == args.n:
        size = sum(p.stat().st_size for p in existing.iterdir())
        print(f"reusing {args.n} captures in {store}")
    else:
        shutil.rmtree(store, ignore_errors=True)
        t = time.perf_counter()
        size = synthesize(args.n, store, args.seed)
        print(f"synthesized {args.n} captures ({size / 1e9:.2f} GB) in {time.perf_counter() - t:.1f}s")
    try:
        parse_all(store)  # warm the page cache
        parse = min(parse_all(store) for _ in range(2))
        runs = [clusters(store) for _ in range(2)]
        best = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        n_clusters = runs[0][2]
        print(f"parse only : {parse:8.2f}s  ({args.n / parse:,.0f} captures/s, {size / parse / 1e6:.0f} MB/s)")
        print(f"clusters   : {best:8.2f}s  ({n_clusters} clusters)   ratio {best / parse:.2f}x parse"
              f"   peak RSS {rss / 1024:.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(store, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
