"""Benchmarks of the worker-framework features, on the installed package (scripts/bench/common.installed).

1. Celery integration overhead per task: the same 1 ms task run through celery's tracer (``task.apply``: the
   build_tracer the prefork pool runs, signals included, no broker) with and without
   ``forensics.integrations.celery.install()`` (file backend: heartbeat files + tasks.jsonl on tmpfs),
   rounds alternated in one process. Target < 5%.
2. ``hangdump mem`` on a pool of 200 processes (a master and 199 forked children), against a floor: a fresh
   interpreter reading the same /proc files (every stat and cmdline, then 200 smaps_rollup). Target < 1 s.

Usage: python scripts/bench/frameworks.py [--tasks 2000] [--rounds 10] [--procs 200] [--runs 7]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import installed, paired, timed, versus

CELERY_BENCH = r"""
import json, os, sys, time
from celery import Celery, signals
from forensics.integrations import celery as hd
tasks, rounds = int(sys.argv[1]), int(sys.argv[2])
app = Celery("bench", broker="memory://")
@app.task
def one_ms():
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        pass
HANDLERS = ((signals.worker_process_init, hd._on_child_init), (signals.task_prerun, hd._on_prerun),
            (signals.task_postrun, hd._on_postrun), (signals.task_failure, hd._on_failure),
            (signals.task_retry, hd._on_retry))
def run():
    t = time.perf_counter()
    for _ in range(tasks):
        one_ms.apply()
    return (time.perf_counter() - t) / tasks
run()
out = {"without": [], "with": []}
for _ in range(rounds):
    for h in HANDLERS:
        h[0].disconnect(h[1], dispatch_uid="hangdump." + h[1].__name__)
    out["without"].append(run())
    hd.install(app)
    out["with"].append(run())
lines = open(os.path.join(os.environ["HANGDUMP_HEARTBEAT_DIR"], "tasks.jsonl")).read().count("\n")
print(json.dumps(dict(out, records=lines)))
"""

POOL = r"""
import os, sys, time
n = int(sys.argv[1])
for _ in range(n - 1):
    if os.fork() == 0:
        time.sleep(1e6)
        os._exit(0)
print("READY", flush=True)
time.sleep(1e6)
"""

FLOOR = r"""
import os, re, sys
rx = re.compile(sys.argv[1])
pids = []
for name in os.listdir("/proc"):
    if name.isdigit():
        try:
            open(f"/proc/{name}/stat", "rb").read()
            if rx.search(open(f"/proc/{name}/cmdline", "rb").read().replace(b"\0", b" ").decode()):
                pids.append(name)
        except OSError:
            pass
for pid in pids:
    open(f"/proc/{pid}/smaps_rollup").read()
"""


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2]


def bench_celery(bin_dir, tasks: int, rounds: int) -> None:
    python = str(bin_dir / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "celery>=5.3"], check=True)
    with tempfile.TemporaryDirectory(prefix="hd-bench-hb-", dir="/dev/shm") as hb:
        res = subprocess.run([python, "-c", CELERY_BENCH, str(tasks), str(rounds)], check=True, capture_output=True,
                             text=True, env=dict(os.environ, HANGDUMP_HEARTBEAT_DIR=hb))
    d = json.loads(res.stdout.splitlines()[-1])
    base, ours = median(d["without"]), median(d["with"])
    print(f"celery 1 ms task, {tasks} tasks x {rounds} rounds (medians of rounds, per task):")
    print(f"  without integration  {base * 1e6:8.1f} us")
    print(f"  with integration     {ours * 1e6:8.1f} us   {ours / base:5.3f}x  ({(ours - base) * 1e6:+.1f} us, "
          f"{(ours - base) / base:+.1%}; target < 5%)   records written: {d['records']}")


def bench_mem(bin_dir, procs: int, runs: int) -> None:
    marker = f"hd-bench-pool-{os.getpid()}"
    pool = subprocess.Popen([sys.executable, "-c", POOL, str(procs), marker], stdout=subprocess.PIPE,
                            start_new_session=True)
    try:
        assert pool.stdout.readline().strip() == b"READY"
        rx = f"{marker}$"
        check = subprocess.run([str(bin_dir / "hangdump"), "mem", "--match", rx, "--json"], check=True,
                               capture_output=True, text=True)
        (p,) = json.loads(check.stdout)["pools"]
        assert len(p["processes"]) == procs, len(p["processes"])
        t = paired({"floor": lambda: timed([sys.executable, "-c", FLOOR, rx]),
                    "mem": lambda: timed([str(bin_dir / "hangdump"), "mem", "--match", rx, "--json"])}, runs)
        print(f"hangdump mem on a pool of {procs} processes ({runs} paired runs, medians):")
        print(f"  floor (python reading the same /proc files)  {t['floor'] * 1000:7.1f} ms")
        print(f"  hangdump mem --json                          {t['mem'] * 1000:7.1f} ms   "
              f"{versus(t['mem'], t['floor'])}   target < 1 s")
    finally:
        os.killpg(pool.pid, signal.SIGKILL)
        pool.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--procs", type=int, default=200)
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    bin_dir = installed()
    bench_celery(bin_dir, a.tasks, a.rounds)
    bench_mem(bin_dir, a.procs, a.runs)


if __name__ == "__main__":
    main()
