#!/usr/bin/env python3
"""Benchmark: `collect --method gdb --keep-core` against the by-hand way on one hung target, and against an
earlier commit's hangdump (--ref, e.g. the one before a change).

By hand: gcore (under hangdump's coredump_filter, 0x35), `gdb -batch -ex 'thread apply all py-bt'` on the core,
then zstd -1 -T0 of it. For each: wall time, bytes written (the process tree's block output, from wait4's
rusage) and the most disk the core took at any moment (sampled every 2 ms), against the target's RSS. Runs
alternate (a shared, loaded machine); medians. Target: never more than 2x RSS on disk.
The target runs on a pyenv CPython 3.11 when there is one, else /usr/bin/python3.11 (python3.11-dbg).
hangdump runs with --timeout 600 (a loaded machine must not turn a slow walk into a failed run).
Usage: python scripts/bench/keep_core.py [--runs 3] [--threads 200] [--ref COMMIT]
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from common import installed, spawn


def target_python() -> str:
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.11.*/bin/python3.11")))
    return found[-1] if found else "/usr/bin/python3.11"


def disk_used(path: str) -> int:
    used = 0
    for d, _dirs, files in os.walk(path):
        for f in files:
            try:
                used += os.lstat(os.path.join(d, f)).st_blocks * 512
            except OSError:
                continue
    return used


def measured(argv: list[str], watch: str, env: dict | None = None) -> tuple[float, int, int]:
    """(wall s, bytes written by the command and its children, peak disk under watch) of one run."""
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], disk_used(watch))

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode})")
    return wall, usage.ru_oublock * 512, max(peak[0], disk_used(watch))


def by_hand(pid: int, work: str, python: str) -> tuple[float, int, int]:
    """gcore under hangdump's coredump_filter (0x35), py-bt of every thread from the core, zstd of the core."""
    out = os.path.join(work, "by-hand")
    os.makedirs(out, exist_ok=True)
    path = f"/proc/{pid}/coredump_filter"
    with open(path) as fh:
        old = "0x" + fh.read().strip()
    with open(path, "w") as fh:
        fh.write("0x35")
    ext = python + "-gdb.py"
    walk = f"-ex 'source {ext}'" if os.path.exists(ext) else ""
    try:
        script = (f"gcore -o {out}/core {pid} >/dev/null && gdb -batch -nx -iex 'set debuginfod enabled off' {walk} "
                  f"-ex 'thread apply all py-bt' {python} {out}/core.{pid} >/dev/null 2>&1 && "
                  f"zstd -q -1 -T0 --rm -f {out}/core.{pid}")
        result = measured(["sh", "-c", script], out)
    finally:
        with open(path, "w") as fh:
            fh.write(old)
    shutil.rmtree(out)
    return result


def ours(pid: int, work: str, bin_dir) -> tuple[float, int, int]:
    home = os.path.join(work, "store")
    os.makedirs(os.path.join(home, "cores"), exist_ok=True)
    env = dict(os.environ, HANGDUMP_HOME=home)
    argv = [str(bin_dir / "hangdump"), "collect", "--pid", str(pid), "--method", "gdb", "--keep-core", "--timeout", "600"]
    result = measured(argv, os.path.join(home, "cores"), env)
    shutil.rmtree(home)
    return result


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=200)
    ap.add_argument("--ref", help="also measure the hangdump of this commit")
    args = ap.parse_args()
    for tool in ("gdb", "gcore", "zstd"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    bins = {"hangdump": installed()}
    if args.ref:
        bins[f"hangdump {args.ref}"] = installed(args.ref)
    python = target_python()
    proc = spawn(args.threads, python)
    work = tempfile.mkdtemp(prefix="hangdump-bench-keep-core-", dir="/var/tmp")
    runs: dict[str, list[tuple[float, int, int]]] = {"by hand": [], **{name: [] for name in bins}}
    try:
        for _ in range(args.runs):
            runs["by hand"].append(by_hand(proc.pid, work, python))
            for name, bin_dir in bins.items():
                runs[name].append(ours(proc.pid, work, bin_dir))
        r = rss(proc.pid)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in runs.items()}
    print(f"{args.threads} threads, RSS {r / 2**20:.1f} MiB, medians of {args.runs} alternating runs:")
    width = max(len(name) for name in med)
    for name, (wall, written, peak) in med.items():
        print(f"  {name:{width}} wall {wall:7.2f} s   written {written / 2**20:9.1f} MiB   "
              f"peak on disk {peak / 2**20:9.1f} MiB = {peak / r:6.2f}x RSS")
    ow, ob, op = med["hangdump"]
    for name in (n for n in med if n != "hangdump"):
        bw, bb, bp = med[name]
        print(f"  hangdump / {name}: wall {ow / bw:.2f}x, written {ob / max(bb, 1):.4f}x, peak {op / max(bp, 1):.4f}x")
    print(f"  target, peak on disk <= 2x RSS: {'met' if op <= 2 * r else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
