"""What the benchmarks share: a hung target with N threads blocked deep in a lock wait, and a timer."""
from __future__ import annotations

import subprocess
import sys
import time

TARGET = r"""
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


def spawn(threads: int, python: str = sys.executable) -> subprocess.Popen:
    """A process whose `threads` threads all wait on one lock, 13 frames deep; READY once they are there."""
    proc = subprocess.Popen([python, "-c", TARGET, str(threads)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    line = proc.stdout.readline()
    if line.strip() != "READY":
        proc.kill()
        raise SystemExit(f"target did not start: {line!r}")
    return proc


def timed(argv: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start
