#!/usr/bin/env python3
"""Benchmark: `collect --core` against pystack, and the gdb backend against gcore + gdb py-bt.

On cores of real hung targets (pyenv CPython 3.11 with its gdb extension; a by-hand gcore, coredump_filter
0x33 by default), of both shapes (common.py: ``deep``, 13 frames in one lock wait; ``shallow``, a deadlock
beside an idle pool) and 20 and 200 threads, medians of paired alternating runs (one unmeasured warm-up
round), wall and CPU time (the CPU is repeatable on a loaded machine; the load average is printed):
  N. `hangdump collect --core CORE --native`      vs  `pystack core --native CORE PYTHON`  (target <= 2x)
  P. `hangdump collect --core CORE --no-native`   vs  `pystack core CORE PYTHON`            (py-spy's reader)
  then, for contrast: N without gdb's index cache (a first analysis on a host) and `--method gdb` (gdb only).
  A. `hangdump collect --method gdb` end to end (live attach)  vs  B. `gcore` + `gdb -batch -ex 'thread apply all py-bt'`
  E. `hangdump collect --method gdb --keep-core`: on-disk size of the kept core vs the process RSS
Targets: N <= 2x; kept core <= 2x RSS; A faster than B. hangdump is the installed package (common.installed).
Usage: python scripts/bench/core.py [--runs 7] [--threads 20,200] [--shapes deep,shallow] [--filters 0x33]
       [--pystack-venv /tmp/bench-venv] [--core-only]
pystack is a baseline only: installed into its own venv (created when missing), never into the project.
"""
from __future__ import annotations

import argparse
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import installed, paired, spawn, timed, versus


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
        made = subprocess.run([sys.executable, "-m", "venv", venv], check=False).returncode == 0 and subprocess.run(
            [os.path.join(venv, "bin", "pip"), "install", "-q", "pystack"], check=False).returncode == 0
        if not made or not os.path.exists(exe):
            raise SystemExit(f"no pystack baseline: `pip install pystack` into {venv} failed (it needs libdw/libelf; "
                             "apt-get install libdw1 libelf1), or pass --pystack-venv with one that has it")
    return exe


class Runs:
    """Commands timed by name, wall and CPU (this process's children: the command and what it waited for)."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {}

    def timer(self, name: str, argv: list[str], env: dict | None = None):
        def run() -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.cpu.setdefault(name, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            return wall
        return run

    def cpu_of(self, name: str) -> float:
        return statistics.median(self.cpu[name])


def hangdump() -> list[str]:
    """The installed package (a clean export of HEAD, `pip install .` into a scratch venv)."""
    return [str(installed() / "hangdump")]


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


def bench_core(label: str, runs: int, python: str, pystack: str, work: str, pid: int, env: dict, filters) -> None:
    hd = hangdump()
    print(f"\n== {label}: core analysis (pid {pid}, RSS {mib(rss(pid)).strip()}), medians of {runs} paired runs, "
          f"load {os.getloadavg()[0]:.2f} ==")
    for bits in filters:
        raw = gcore_with_filter(pid, bits, os.path.join(work, f"core-{bits:x}"))
        collect = [*hd, "collect", "--core", raw, "--no-store"]
        r = Runs()
        m = paired({
            "N": r.timer("N", [*collect, "--native"], env),
            "Nb": r.timer("Nb", [pystack, "core", "--native", raw, python]),
            "P": r.timer("P", [*collect, "--no-native"], env),
            "Pb": r.timer("Pb", [pystack, "core", raw, python]),
        }, runs)
        few = max(1, runs // 2)
        cold_env = {**env, "HANGDUMP_GDB_INDEX_CACHE": "off"}
        extra = paired({"cold": r.timer("cold", [*collect, "--native"], cold_env),
                        "gdb": r.timer("gdb", [*collect, "--method", "gdb"], env)}, few)
        print(f"-- gcore with coredump_filter {bits:#x}: {mib(os.path.getsize(raw)).strip()} apparent")
        print(f"{'':44s} {'wall':>8s} {'cpu':>8s}   wall vs baseline")
        rows = [("N  hangdump collect --core --native", m["N"], "N", m["Nb"], "(target <= 2x)"),
                ("   pystack core --native", m["Nb"], "Nb", None, ""),
                ("P  hangdump collect --core --no-native", m["P"], "P", m["Pb"], ""),
                ("   pystack core", m["Pb"], "Pb", None, ""),
                (f"   N without gdb's index cache ({few} runs)", extra["cold"], "cold", m["Nb"], ""),
                (f"   hangdump --core --method gdb ({few} runs)", extra["gdb"], "gdb", m["Nb"], "")]
        for text, wall, key, base, note in rows:
            vs = f"   {versus(wall, base)} {note}" if base is not None else ""
            print(f"{text:44s} {wall * 1000:6.0f}ms {r.cpu_of(key) * 1000:6.0f}ms{vs}")
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


def bench(threads: int, shape: str, args, python: str, pystack: str, work: str) -> None:
    proc = spawn(threads, python, shape)
    env = dict(os.environ, HANGDUMP_HOME=os.path.join(work, f"store-{shape}-{threads}"))
    try:
        bench_core(f"{shape}, {threads} threads", args.runs, python, pystack, work, proc.pid, env, args.filters)
        if not args.core_only:
            bench_live(threads, args.runs, python, work, proc.pid, env)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", default="20,200")
    ap.add_argument("--shapes", default="deep,shallow")
    ap.add_argument("--filters", default="0x33", help="coredump_filter bits of the by-hand gcores, comma-separated")
    ap.add_argument("--pystack-venv", default="/tmp/bench-venv")
    ap.add_argument("--core-only", action="store_true", help="only the core analysis (N, P), not A, B, E")
    args = ap.parse_args()
    args.filters = [int(x, 16) for x in args.filters.split(",")]
    for tool in ("gdb", "gcore"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    python = pyenv_311()
    pystack = ensure_pystack(args.pystack_venv)
    print(f"bench: hangdump {hangdump()[0]}, pystack {pystack}, python {python}, {os.cpu_count()} cpus")
    work = tempfile.mkdtemp(prefix="hangdump-bench-core-")
    try:
        for shape in args.shapes.split(","):
            for n in (int(x) for x in args.threads.split(",")):
                bench(n, shape, args, python, pystack, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
