#!/usr/bin/env python3
"""Benchmark: store commands (`ls`, `report`, `clusters`, installed package) on stores of a month.

Stores of 10k and 100k captures with varied stacks (common.synthesize_store: corpus hangs grown with
per-capture call paths, releases, lines, threads) are kept in /tmp/hd-bench-store-N and reused. With a warm
page cache, each command runs in a fresh process, alternating with its floor, --rounds times; medians:
  ls        against a plain directory listing (`ls -1 captures/`)           target <= 0.3 s
  report    against reading and json-parsing every file (a fresh python)   target <= 2x
  clusters  against the same parse                                         target <= 1.5x
Beside the wall times, the median CPU times (user + system) of the floor and of hangdump, and their ratio: on a
loaded machine they are what the wall times would be on an idle one, near enough. The store is one nobody wrote to in the last seconds (its index stamped, index.py), and its analysis cache
(store/cache.py) holds every capture, as after the first report of the day; report-cold and clusters-cold remove
the cache before each run (outside the timing): the first run after an upgrade, or over a month of new captures.
Usage: python scripts/bench/store.py [--ref HEAD] [--sizes 10000,100000] [--rounds 3]
                                     [--commands ls,report,clusters,report-cold,clusters-cold]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time

from common import installed, paired, store_of, timed, versus

PARSE = ("import json, os, sys\n"
         "d = os.path.join(sys.argv[1], 'captures')\n"
         "for n in sorted(os.listdir(d)):\n"
         "    if n.endswith('.json') and not n.startswith('.'):\n"
         "        with open(os.path.join(d, n), 'rb') as fh:\n"
         "            json.loads(fh.read())\n")


def _with_cpu(fn, into: list[float]):
    """``fn`` (a timed run), also adding the user + system seconds of the process it waited for to ``into``: on a
    loaded machine, what the wall time hides."""
    def run() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = fn()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        into.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return wall
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="HEAD", help="git revision to install and measure")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--commands", default="ls,report,clusters,report-cold,clusters-cold")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    bin_dir = installed(args.ref)
    hangdump, python = str(bin_dir / "hangdump"), str(bin_dir / "python")
    out = os.path.join(tempfile.mkdtemp(prefix="hd-bench-report-"), "hangs.html")
    print(f"hangdump {args.ref} installed in {bin_dir.parent}; medians of {args.rounds} alternating runs")
    for n in (int(s) for s in args.sizes.split(",")):
        root = str(store_of(n))
        parse = ("json parse", lambda root=root: timed([python, "-c", PARSE, root]))
        floors = {"ls": ("directory listing", lambda root=root: timed(["ls", "-1", os.path.join(root, "captures")])),
                  "report": parse, "clusters": parse, "report-cold": parse, "clusters-cold": parse}
        argv = {"ls": ["ls"], "report": ["report", "--out", out], "clusters": ["clusters"]}
        timed([hangdump, "ls", "--store", root])  # the index of this version, built if it is not there
        time.sleep(2.1)  # index.py stamps only a directory that has not changed for 2 s
        for cmd in args.commands.split(","):
            name, floor = floors[cmd]
            base = cmd.removesuffix("-cold")

            cpu: dict[str, list[float]] = {"floor": [], "ours": []}

            def ours(root=root, cmd=cmd, run=(hangdump, *argv[base], "--store", root)) -> float:
                if cmd.endswith("-cold"):
                    shutil.rmtree(os.path.join(root, "cache"), ignore_errors=True)
                return timed(list(run))

            m = paired({k: _with_cpu(fn, cpu[k]) for k, fn in (("floor", floor), ("ours", ours))}, args.rounds)
            c = {k: statistics.median(v[1:]) for k, v in cpu.items()}  # without the warm-up round
            print(f"{cmd:13} {n:7} captures  {name:17} {m['floor']:8.3f} s  hangdump {m['ours']:8.3f} s  "
                  f"{versus(m['ours'], m['floor'])}   cpu {c['floor']:7.3f} s / {c['ours']:7.3f} s  "
                  + (f"{c['ours'] / c['floor']:5.2f}x" if c["floor"] >= 0.05 else "-"), flush=True)


if __name__ == "__main__":
    main()
