#!/usr/bin/env python3
"""Benchmark: `hangdump collect` (installed package) against raw py-spy, measured in the same run.

1. Single targets of both shapes (deep: every thread 13 frames down in one lock wait; shallow: a lock
   deadlock beside an idle thread pool) at 5 to 1,000 threads, with and without --native:
   `hangdump collect --pid P` (stored, as a user runs it) against `py-spy dump --json --pid P [--native]`,
   runs alternating; medians, the ratio and the absolute overhead in ms.
   Targets: <= 1.3x (1,000 threads <= 1.2x); 5 threads: overhead <= 40 ms.
2. A pool of hung processes in one `hangdump collect --pid ... --pid ...` call against the loops a user
   would write instead: a sequential shell loop of py-spy dumps (target <= 0.6x) and `xargs -P <cores>`
   (target <= 1.1x); beside each, the CPU hangdump adds to the dumps' own (the loop's), and the floor that CPU
   sets on a machine it saturates.
The package measured is a clean export of --ref installed with `pip install .` into a scratch venv.
Usage: python scripts/bench/collect.py [--ref HEAD] [--base REF,...] [--runs 9] [--threads 5,200,1000]
                                       [--shapes deep,shallow] [--native both|no|yes] [--pool 20] [--pool-only | --no-pool]
--base: other revisions measured in the same alternating runs (before/after on the same load).
"""
from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import sys
import tempfile

from common import cores, installed, paired, spawn, stop, timed, versus


def single(bin_dir, shape: str, threads: int, natives: list[bool], runs: int, env: dict, bases: dict) -> None:
    """``bases``: ref -> bin dir of other installed revisions, measured in the same alternating runs."""
    pyspy, python = (str(bin_dir / n) for n in ("py-spy", "python"))
    target = spawn(threads, python, shape)
    try:
        pid = str(target.pid)
        with open(f"/proc/{pid}/status") as fh:
            n = next(int(line.split()[1]) for line in fh if line.startswith("Threads:"))
        for native in natives:
            flag = ["--native"] if native else []
            cpu: dict[str, list[float]] = {}
            commands = {"py-spy": ([pyspy, "dump", "--json", "--pid", pid, *flag], None)}
            for name, where in [*bases.items(), ("hangdump", bin_dir)]:
                commands[name] = ([str(where / "hangdump"), "collect", "--pid", pid, *flag], env)
            fns = {name: lambda name=name, argv=argv, e=e, cpu=cpu: cpu_timed(cpu, name, argv, e)
                   for name, (argv, e) in commands.items()}
            m = paired(fns, runs)
            spy_cpu = statistics.median(cpu["py-spy"])
            label = f"{shape:7} {n:5} threads{' --native' if native else '':9}"
            shown = [f"{name} {m[name] * 1000:8.1f} ms  {versus(m[name], m['py-spy'])}  "
                     f"cpu {(statistics.median(cpu[name]) - spy_cpu) * 1000:+7.1f} ms" for name in [*bases, "hangdump"]]
            print(f"{label}  py-spy {m['py-spy'] * 1000:8.1f} ms  " + "  |  ".join(shown), flush=True)
    finally:
        stop([target])


def cpu_timed(cpu: dict[str, list[float]], name: str, argv: list[str], env: dict | None = None) -> float:
    """timed(argv), also recording the user+sys CPU of the command and the children it waited for (py-spy under
    hangdump) in cpu[name]: on a loaded machine the work done, where the wall time is also the wait for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.setdefault(name, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def pool(bin_dir, size: int, runs: int, env: dict, bases: dict, ref: str = "HEAD") -> None:
    """``bases``: as for single(), each one's collect of the pool measured in the same alternating runs."""
    pyspy, python = (str(bin_dir / n) for n in ("py-spy", "python"))
    procs = [spawn(5, python, "deep") for _ in range(size)]
    cpu: dict[str, list[float]] = {}
    try:
        pids = [str(p.pid) for p in procs]
        listed = " ".join(pids)
        loop = f"for p in {listed}; do {shlex.quote(pyspy)} dump --json --pid $p; done"
        xargs = f"printf '%s\\n' {listed} | xargs -P {cores()} -I@ {shlex.quote(pyspy)} dump --json --pid @"
        commands = {"loop": (["sh", "-c", loop], None), "xargs": (["sh", "-c", xargs], None)}
        for name, where in [*bases.items(), ("hangdump", bin_dir)]:
            commands[name] = ([str(where / "hangdump"), "collect", *[a for p in pids for a in ("--pid", p)]], env)
        m = paired({name: lambda name=name, argv=argv, e=e: cpu_timed(cpu, name, argv, e)
                    for name, (argv, e) in commands.items()}, runs)
    finally:
        stop(procs)

    spy_cpu = statistics.median(cpu["loop"])  # the same dumps' CPU, py-spy alone

    def shown(name: str) -> str:
        own = statistics.median(cpu[name]) - spy_cpu
        return (f"{m[name] * 1000:8.1f} ms  cpu {statistics.median(cpu[name]) * 1000:7.1f} ms"
                + (f" ({own * 1000:+6.1f} over py-spy's)" if name not in ("loop", "xargs") else " " * 21))

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"pool of {size} hung processes (5 threads each), medians of {runs} alternating runs (cpu: user+sys, "
          f"py-spy included; load average after: {load}):")
    for name in [*bases, "hangdump"]:
        print(f"  one hangdump collect {name if name in bases else ref:9} {shown(name)}   /loop {versus(m[name], m['loop'])}   "
              f"/xargs {versus(m[name], m['xargs'])}")
    print(f"  sequential py-spy loop         {shown('loop')}   (target: hangdump/loop <= 0.6x)")
    print(f"  xargs -P {cores()} py-spy              {shown('xargs')}   (target: hangdump/xargs <= 1.1x)")
    # on a CPU-bound machine no call of the same dumps ends before their CPU spread over the cores
    print(f"  floor: py-spy's cpu / {cores()} cores  {spy_cpu / cores() * 1000:8.1f} ms; each ms of hangdump's own cpu "
          f"adds about 1/{cores()} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="HEAD", help="git revision to install and measure")
    ap.add_argument("--base", default="", help="other revisions (comma-separated) measured in the same runs")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--threads", default="5,200,1000")
    ap.add_argument("--shapes", default="deep,shallow")
    ap.add_argument("--native", choices=["both", "no", "yes"], default="both")
    ap.add_argument("--pool", type=int, default=20)
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--pool-only", action="store_true")
    which.add_argument("--no-pool", action="store_true")
    args = ap.parse_args()
    bin_dir = installed(args.ref)
    bases = {ref: installed(ref) for ref in args.base.split(",") if ref}
    store = tempfile.mkdtemp(prefix="hangdump-bench-")
    env = dict(os.environ, HANGDUMP_HOME=store)
    natives = {"both": [False, True], "no": [False], "yes": [True]}[args.native]
    print(f"hangdump {args.ref} installed in {bin_dir.parent}; {cores()} cores; medians of {args.runs} "
          "alternating runs; ratio hangdump/py-spy (overhead); cpu: user+sys over py-spy's"
          + (f"; also {', '.join(bases)} in the same runs" if bases else ""))
    try:
        if not args.pool_only:
            for shape in args.shapes.split(","):
                for threads in (int(t) for t in args.threads.split(",")):
                    single(bin_dir, shape, threads, natives, args.runs, env, bases)
        if not args.no_pool:
            pool(bin_dir, args.pool, args.runs, env, bases, args.ref)
    finally:
        shutil.rmtree(store, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
