"""A small real worker that emits heartbeats and then behaves as asked: what the tests and ``hangdump demo``
watch. ``python -m forensics.watch.worker --mode MODE``; prints ``READY {json}`` once its behaviour is
reached (the heartbeat file already says so). Pure stdlib apart from forensics.heartbeat, like a real worker.

Modes: idle (waits for work, declared idle), working (1 ms tasks, forever), deadlock (a task whose two threads
take two locks in opposite orders), busy (a task that spins), sleep_forever (a task stuck in one sleep),
leak (holds --leak-mb then stays in a task that beats), parent (forks an idle child worker, then waits),
daemon (double-forks into an idle daemon, its emitter made before: READY names the daemon, not this process).
--thread: beat from a background thread too. --on-term: exit (default), ignore, or abort (SIGABRT: the kernel
writes a core, as a worker whose handler aborts would); --signal-log records each SIGTERM.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

from forensics import heartbeat


def _ready(**info) -> None:
    heartbeat.flush()  # READY promises the heartbeat file already says what we do
    info.update(pid=os.getpid(), tid=threading.get_native_id())
    sys.stdout.write("READY " + json.dumps(info) + "\n")
    sys.stdout.flush()


def _on_term(mode: str, log: str | None) -> None:
    def record(signum, frame) -> None:
        if log:
            with open(log, "a") as fh:
                fh.write(signal.Signals(signum).name + "\n")
        if mode == "exit":
            os._exit(0)
        if mode == "abort":
            os.abort()

    signal.signal(signal.SIGTERM, record)


def _forever() -> None:
    threading.Event().wait()


def deadlock() -> None:
    a, b = threading.Lock(), threading.Lock()
    both = threading.Barrier(2)

    def take(first, second, announce: bool) -> None:
        with first:
            both.wait()
            if announce:
                _ready(behaviour="deadlock")
            with second:
                pass

    heartbeat.task_started("transfer", id="t-1")
    threading.Thread(target=take, args=(b, a, True), name="transfer-b", daemon=True).start()
    take(a, b, False)


def daemon() -> None:
    """A daemon's double fork: fork, setsid, fork, the middle process exits; the daemon is adopted by init
    (or a subreaper) and beats once it is a daemon, as a daemon does its work only then. The launching
    process reaps the middle one and stays (the caller's handle); the daemon is no child of it."""
    middle = os.fork()
    if middle:
        os.waitpid(middle, 0)
        _forever()
    os.setsid()
    if os.fork():
        os._exit(0)
    while os.getppid() == middle:  # the middle process's exit is what makes it a daemon
        time.sleep(0.001)
    heartbeat.task_finished()
    _ready(behaviour="daemon", ppid=os.getppid())
    _forever()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mode", required=True,
                   choices=["idle", "working", "deadlock", "busy", "sleep_forever", "leak", "parent", "daemon"])
    p.add_argument("--thread", action="store_true", help="beat from a background thread as well")
    p.add_argument("--on-term", choices=["exit", "ignore", "abort"], default="exit")
    p.add_argument("--signal-log", help="append the name of each SIGTERM received here")
    p.add_argument("--leak-mb", type=int, default=64)
    p.add_argument("--resolution", type=float, default=heartbeat.RESOLUTION_S, help="seconds between writes")
    args = p.parse_args(argv)
    heartbeat.configure(resolution=args.resolution)
    _on_term(args.on_term, args.signal_log)
    if args.thread:
        heartbeat.start_thread(0.1)
    mode = args.mode
    if mode == "idle":
        heartbeat.task_finished()
        _ready(behaviour="idle")
        _forever()
    elif mode == "working":
        _ready(behaviour="working")
        n = 0
        while True:
            heartbeat.task_started("tick", id=str(n))
            time.sleep(0.001)
            heartbeat.task_finished()
            n += 1
    elif mode == "deadlock":
        deadlock()
    elif mode == "busy":
        heartbeat.task_started("spin")
        _ready(behaviour="busy")
        while True:
            pass
    elif mode == "sleep_forever":
        heartbeat.task_started("nap")
        _ready(behaviour="sleep_forever")
        time.sleep(10**6)
    elif mode == "leak":
        hoard = bytearray(args.leak_mb << 20)
        for i in range(0, len(hoard), 4096):
            hoard[i] = 1  # touch every page: resident
        heartbeat.task_started("grow")
        _ready(behaviour="leak", mb=args.leak_mb)
        while True:
            heartbeat.beat()
            time.sleep(0.05)
    elif mode == "daemon":
        daemon()
    elif mode == "parent":
        ready_r, ready_w = os.pipe()
        child = os.fork()
        if child == 0:
            heartbeat.task_finished()  # its own file, with this process as its recorded parent
            heartbeat.flush()  # written (and its parent recorded) before the parent says READY
            os.write(ready_w, b"1")
            _forever()
        heartbeat.task_finished()
        os.read(ready_r, 1)
        _ready(behaviour="parent", child=child)
        os.waitpid(child, 0)


if __name__ == "__main__":
    main()
