#!/usr/bin/env python3
"""Benchmark: core analysis (`collect --core`) against pystack, and the gdb backend against gcore + gdb py-bt.

On the same hung target (20 and 200 threads, pyenv CPython 3.11 with its gdb extension):
  C. `hangdump collect --core CORE` (py-spy on a compact copy of the core)  vs  D. `pystack core CORE` (its own venv),
     on a by-hand gcore (coredump_filter 0x33, the default) and on one dumped with hangdump's filter (0x35);
     C+n `--core --native` (py-spy + gdb's native-only walk, py-spy's Python frames spliced in) vs
     `pystack core --native`, also without gdb's index cache (a first run on a host);
     C-g `--core --method gdb` (the gdb-only reader) for contrast. C and D alternate run by run (shared, loaded machine).
  A. `hangdump collect --method gdb` end to end (live attach)        vs  B. `gcore` + `gdb -batch -ex 'thread apply all py-bt'`
  E. `hangdump collect --method gdb --keep-core`: on-disk size of the kept core vs the process RSS
     (and the raw gcore's size, for contrast).
Targets: C <= 2x D; kept core <= 2x RSS; A faster than B.
Usage: python scripts/bench/core.py [--runs 5] [--threads 20,200] [--pystack-venv /tmp/bench-venv] [--core-only]
pystack is installed only in the benchmark venv (created when missing), never in the project.
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

from common import installed, spawn, timed


def pyenv_311() -> str:
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.11.*/bin/python3.11")))
    if not found:
        raise SystemExit("needs a pyenv CPython 3.11 (with bin/python3.11-gdb.py)")
    return found[-1]


def median(fn, runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def on_disk(path: str) -> int:
    return os.stat(path).st_blocks * 512


def mib(n: int) -> str:
    return f"{n / 2**20:8.1f} MiB"


def ensure_pystack(venv: str) -> str:
    exe = os.path.join(venv, "bin", "pystack")
    if not os.path.exists(exe):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "pystack"], check=True)
    return exe


def hangdump() -> list[str]:
    """The installed package (a clean export of HEAD, `pip install .` into a scratch venv)."""
    return [str(installed() / "hangdump")]


def alternating(fns: dict, runs: int) -> dict:
    """Median seconds of each fn, runs interleaved (a, b, a, b, ...) so load drift hits all of them alike."""
    times: dict = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            times[k].append(fn())
    return {k: statistics.median(v) for k, v in times.items()}


def gcore_with_filter(pid: int, bits: int, prefix: str) -> str:
    path = f"/proc/{pid}/coredump_filter"
    with open(path) as fh:
        old = "0x" + fh.read().strip()
    with open(path, "w") as fh:
        fh.write(hex(bits))
    try:
        subprocess.run(["gcore", "-o", prefix, str(pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        with open(path, "w") as fh:
            fh.write(old)
    return f"{prefix}.{pid}"


def bench_core(threads: int, runs: int, python: str, pystack: str, work: str, pid: int, env: dict) -> None:
    hd = hangdump()
    print(f"\n== {threads} threads: core analysis (pid {pid}, RSS {mib(rss(pid)).strip()}), medians of {runs} runs ==")
    for bits in (0x33, 0x35):
        raw = gcore_with_filter(pid, bits, os.path.join(work, f"core-{threads}-{bits:x}"))
        m = alternating({
            "C": lambda raw=raw: timed([*hd, "collect", "--core", raw, "--no-store"], env),
            "D": lambda raw=raw: timed([pystack, "core", raw, python]),
            "Cn": lambda raw=raw: timed([*hd, "collect", "--core", raw, "--native", "--no-store"], env),
            "Dn": lambda raw=raw: timed([pystack, "core", "--native", raw, python]),
        }, runs)
        g = median(lambda raw=raw: timed([*hd, "collect", "--core", raw, "--method", "gdb", "--no-store"], env),
                   max(1, runs // 2))
        # without gdb's index cache (a first analysis on a host, or HANGDUMP_GDB_INDEX_CACHE=off)
        cold = median(lambda raw=raw: timed([*hd, "collect", "--core", raw, "--native", "--no-store"],
                                            {**env, "HANGDUMP_GDB_INDEX_CACHE": "off"}), max(1, runs // 2))
        print(f"-- gcore with coredump_filter {bits:#x}: {mib(os.path.getsize(raw)).strip()} apparent")
        print(f"C  hangdump collect --core                   {m['C']:7.3f} s")
        print(f"D  pystack core                              {m['D']:7.3f} s   C/D = {m['C'] / m['D']:5.2f}  (target <= 2)")
        print(f"C+n hangdump collect --core --native         {m['Cn']:7.3f} s")
        print(f"D+n pystack core --native                    {m['Dn']:7.3f} s   C+n/D+n = {m['Cn'] / m['Dn']:5.2f}  (target <= 2)")
        print(f"C+n without gdb's index cache                {cold:7.3f} s   ...   /D+n = {cold / m['Dn']:5.2f}")
        print(f"C-g hangdump collect --core --method gdb     {g:7.3f} s   C-g/D = {g / m['D']:5.2f}")
        os.unlink(raw)


def bench_live(threads: int, runs: int, python: str, work: str, pid: int, env: dict) -> None:
    ext = python + "-gdb.py"
    core = os.path.join(work, f"core-{threads}")

    def by_hand() -> float:
        t = timed(["gcore", "-o", core, str(pid)])
        t += timed(["gdb", "-batch", "-nx", "-iex", "set debuginfod enabled off", "-ex", f"source {ext}",
                    "-ex", "thread apply all py-bt", python, f"{core}.{pid}"])
        return t

    a = median(lambda: timed([*hangdump(), "collect", "--pid", str(pid), "--method", "gdb", "--no-store"], env), runs)
    b = median(by_hand, max(1, runs // 2))
    raw = f"{core}.{pid}"
    raw_size, raw_disk = os.path.getsize(raw), on_disk(raw)
    os.unlink(raw)
    e = median(lambda: timed([*hangdump(), "collect", "--pid", str(pid), "--method", "gdb", "--keep-core"], env),
               max(1, runs // 2))
    kept = max(glob.glob(os.path.join(env["HANGDUMP_HOME"], "cores", "*.core.*")), key=os.path.getmtime)
    kc = median(lambda: timed([*hangdump(), "collect", "--core", kept, "--no-store"], env), runs)
    r = rss(pid)
    print(f"-- live, medians of {runs} runs")
    print(f"A hangdump collect --method gdb (live)       {a:7.3f} s")
    print(f"B gcore + gdb 'thread apply all py-bt'        {b:7.3f} s   A/B = {a / b:5.2f}  (target < 1)")
    print(f"E hangdump collect --method gdb --keep-core   {e:7.3f} s")
    print(f"  hangdump collect --core (kept .zst core)    {kc:7.3f} s")
    print(f"  raw gcore: {mib(raw_size)} apparent, {mib(raw_disk)} on disk = {raw_disk / r:6.1f}x RSS")
    print(f"  kept core: {mib(on_disk(kept))} on disk = {on_disk(kept) / r:6.2f}x RSS (target <= 2)   {os.path.basename(kept)}")


def bench(threads: int, runs: int, python: str, pystack: str, work: str, core_only: bool) -> None:
    proc = spawn(threads, python)
    env = dict(os.environ, HANGDUMP_HOME=os.path.join(work, f"store-{threads}"))
    try:
        bench_core(threads, runs, python, pystack, work, proc.pid, env)
        if not core_only:
            bench_live(threads, runs, python, work, proc.pid, env)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="20,200")
    ap.add_argument("--pystack-venv", default="/tmp/bench-venv")
    ap.add_argument("--core-only", action="store_true", help="only the core analysis (C, D), not A, B, E")
    args = ap.parse_args()
    for tool in ("gdb", "gcore"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    python = pyenv_311()
    pystack = ensure_pystack(args.pystack_venv)
    work = tempfile.mkdtemp(prefix="hangdump-bench-core-")
    try:
        for n in (int(x) for x in args.threads.split(",")):
            bench(n, args.runs, python, pystack, work, args.core_only)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
