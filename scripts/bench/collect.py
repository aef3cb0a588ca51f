#!/usr/bin/env python3
"""Benchmark: `hangdump collect` against raw `py-spy dump --json`, measured in the same run.

1. One hung target with 200 threads: alternate `hangdump collect --pid P` (stored, as a user runs it)
   and `py-spy dump --json --pid P`, N runs each; print medians and the ratio (target <= 1.6x).
2. A pool of 20 hung processes: one `hangdump collect --pid ... x20` call against 20 sequential raw
   py-spy dumps (target <= 0.6x).
Usage: python scripts/bench/collect.py [--runs 15] [--threads 200] [--pool 20]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import spawn, timed


def tool(name: str) -> str:
    here = os.path.join(os.path.dirname(sys.executable), name)
    found = here if os.path.exists(here) else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found; run `make setup` first")
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=200)
    ap.add_argument("--pool", type=int, default=20)
    args = ap.parse_args()
    hangdump, pyspy = tool("hangdump"), tool("py-spy")
    # as installed: byte-compiled. An editable checkout edited since setup (with PYTHONDONTWRITEBYTECODE set)
    # would recompile the changed modules on every run and measure that instead (~45 ms here).
    package = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "forensics")
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True, stdout=subprocess.DEVNULL)
    store = tempfile.mkdtemp(prefix="hangdump-bench-")
    env = dict(os.environ, HANGDUMP_HOME=store)

    target = spawn(args.threads)
    try:
        ours, raw = [], []
        for _ in range(args.runs):
            ours.append(timed([hangdump, "collect", "--pid", str(target.pid)], env))
            raw.append(timed([pyspy, "dump", "--json", "--pid", str(target.pid)]))
        start = [timed([sys.executable, "-c", "pass"]) for _ in range(args.runs)]
    finally:
        target.kill()
        target.wait()
    mo, mr, ms = statistics.median(ours), statistics.median(raw), statistics.median(start)
    print(f"single target, {args.threads} threads, {args.runs} runs each (medians):")
    print(f"  hangdump collect      {mo * 1000:7.1f} ms")
    print(f"  py-spy dump --json    {mr * 1000:7.1f} ms")
    print(f"  python -c pass        {ms * 1000:7.1f} ms   (start-up alone: {ms / mr:.2f}x)")
    print(f"  ratio collect/py-spy  {mo / mr:.2f}x   (target <= 1.6x)")

    pool = [spawn(5) for _ in range(args.pool)]
    try:
        pids = [str(p.pid) for p in pool]
        batch, seq = [], []
        for _ in range(max(3, args.runs // 3)):
            batch.append(timed([hangdump, "collect", *[a for p in pids for a in ("--pid", p)]], env))
            t0 = time.perf_counter()
            for p in pids:
                subprocess.run([pyspy, "dump", "--json", "--pid", p], check=True, stdout=subprocess.DEVNULL)
            seq.append(time.perf_counter() - t0)
    finally:
        for p in pool:
            p.kill()
            p.wait()
    mb, mq = statistics.median(batch), statistics.median(seq)
    print(f"pool of {args.pool} hung processes (medians):")
    print(f"  one hangdump collect  {mb * 1000:7.1f} ms")
    print(f"  {args.pool} sequential dumps  {mq * 1000:7.1f} ms")
    print(f"  ratio                 {mb / mq:.2f}x   (target <= 0.6x)")
    shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
