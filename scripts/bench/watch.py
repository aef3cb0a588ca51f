#!/usr/bin/env python3
"""Benchmark: the watchdog's cost per scan and detection latency, and the heartbeat's cost per call.

Measures the installed package: builds a scratch venv (`pip install .`, not the editable checkout) and
re-runs itself inside it. In the same run, against baselines measured there:
1. 500 cheap sleeper targets, a scan per second: the watchdog's CPU (user + system) per scan against a
   minimal loop reading the same /proc (and heartbeat) files, the floor (each file opened, read, closed),
   and against a held floor (the /proc files held open and re-read with pread, as the watchdog does since
   it holds them). Two fleets: heartbeat writers (beats fresh, in a task, every file rewritten with a new
   task between scans: /proc/PID/stat per target) and /proc-only targets (`--tree`, `--blocked`: the tree
   walk's children files, every thread's stat, syscall and status). Targets: <= 2% of one core, <= 1.5x
   the floor.
2. Detection latency: a real worker hangs (forensics.watch.worker, sleep_forever) among the 500; the time
   from its last beat (the payload's monotonic stamp: the hang starts there) to the watchdog's "detected"
   event, and to its "captured" event (py-spy dump taken and the capture written to the store), against
   stale + one interval. The watchdog wakes just after the earliest staleness deadline, so "detected" is
   stale + the scan's own time; "captured" adds the capture itself.
3. heartbeat: beat() and a task_started/task_finished pair, in us per call, and the overhead on 1 ms tasks
   (< 1%), measured directly (batches of tasks with and without the calls, paired) and as cost per task / 1 ms.
Usage: python scripts/bench/watch.py [--targets 500] [--scans 20] [--trials 5] [--venv DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ensure_venv(venv: str) -> str:
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", REPO], check=True)
    else:  # the current code, without touching the dependencies already there
        subprocess.run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", REPO], check=True)
    return python


# ---------------------------------------------------------------- inside the scratch venv


def cpu() -> float:
    return time.process_time()  # user + system of this process: /proc reads are mostly system time


def spawn_sleepers(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(["sleep", "100000"], stdin=subprocess.DEVNULL) for _ in range(n)]


_writes = iter(range(1, 1 << 62))


def fake_beats(directory: str, pids: list[int]) -> None:
    """A fresh beat, in a task, for each sleeper: what a fleet of healthy workers' files look like (the
    payload forensics.heartbeat writes, keys in its order, compact), each task new since the last write."""
    from forensics.identity import read_stat

    now, me, n = time.monotonic(), read_stat(os.getpid()).start_ticks, next(_writes)
    for pid in pids:
        payload = {"pid": pid, "ppid": os.getpid(), "start_ticks": read_stat(pid).start_ticks,
                   "parent_start_ticks": me, "writer_tid": pid, "resolution": 1.0, "beater_tid": None, "seq": n,
                   "mono": now, "wall": time.time(), "state": "task", "task": "work", "task_id": str(n),
                   "started_at": time.time(), "started_mono": now}
        with open(os.path.join(directory, f"{pid}.json"), "w") as fh:
            fh.write(json.dumps(payload, separators=(",", ":")))


def read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


class Held:
    """The floor's own held fds (path -> fd, re-read with pread): how the watchdog reads /proc files now."""

    def __init__(self) -> None:
        self.fds: dict[str, int] = {}

    def read(self, path: str) -> bytes:
        fd = self.fds.get(path)
        if fd is None:
            fd = self.fds[path] = os.open(path, os.O_RDONLY)
        return os.pread(fd, 65536, 0)

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)


def floor_heartbeats(directory: str, proc_read=read) -> None:
    """The files a heartbeat scan needs, and nothing else: the listing, each beat, each /proc/PID/stat."""
    for name in os.listdir(directory):
        read(os.path.join(directory, name))  # renamed into place at every write: opened each time
        proc_read(f"/proc/{name.partition('.')[0]}/stat")


def floor_tree(root: int, proc_read=read) -> None:
    """The files a /proc-only scan needs: the tree (each process's thread listing and each thread's children,
    every thread can fork), then per process its stat and per thread stat/syscall/status."""
    todo = [root]
    for pid in todo:
        tids = os.listdir(f"/proc/{pid}/task")
        for tid in tids:
            todo += [int(k) for k in proc_read(f"/proc/{pid}/task/{tid}/children").split()]
        if pid == root:
            continue
        proc_read(f"/proc/{pid}/stat")
        for tid in tids:
            base = f"/proc/{pid}/task/{tid}/"
            proc_read(base + "stat")
            proc_read(base + "syscall")
            proc_read(base + "status")


def per_scan(fn, scans: int) -> float:
    """Median CPU seconds of one call, over ``scans`` calls."""
    costs = []
    for _ in range(scans):
        t = cpu()
        fn()
        costs.append(cpu() - t)
    return statistics.median(costs)


def bench_scan(n: int, scans: int, work: str) -> None:
    from forensics.watch.events import Events
    from forensics.watch.rules import RuleConfig
    from forensics.watch.watchdog import WatchConfig, Watchdog

    sleepers = spawn_sleepers(n)
    try:
        beats = os.path.join(work, "beats")
        os.makedirs(beats)
        fake_beats(beats, [p.pid for p in sleepers])
        empty = os.path.join(work, "no-beats")
        os.makedirs(empty)
        held = Held()
        fleets = {
            "heartbeat fleet": (WatchConfig(heartbeat_dir=beats, store=os.path.join(work, "s1"),
                                            rules=RuleConfig(stale_s=3600)),
                                lambda: floor_heartbeats(beats), lambda: floor_heartbeats(beats, held.read)),
            "/proc-only fleet (--tree, --blocked)": (
                WatchConfig(heartbeat_dir=empty, trees=(os.getpid(),),
                            store=os.path.join(work, "s2"), rules=RuleConfig(stale_s=3600, blocked_s=3600)),
                lambda: floor_tree(os.getpid()), lambda: floor_tree(os.getpid(), held.read)),
        }
        print(f"1. {n} sleeper targets, one scan per second (CPU per scan, median of {scans}); floor: the same "
              "files, opened, read and closed; held floor: /proc files held open and re-read with pread, as "
              "the watchdog reads them:")
        for label, (cfg, floor, floor_held) in fleets.items():
            dog = Watchdog(cfg, events=Events(quiet=True))
            found = len(dog.scan().targets)
            floor_held()
            walls, wd, fl, fh = [], [], [], []
            for _ in range(scans):  # alternate, so load on the machine hits all alike
                fake_beats(beats, [p.pid for p in sleepers])  # live workers rewrite their files every second
                t0 = time.perf_counter()
                wd.append(per_scan(dog.scan, 1))
                walls.append(time.perf_counter() - t0)
                fl.append(per_scan(floor, 1))
                fh.append(per_scan(floor_held, 1))
            w, f, h = statistics.median(wd), statistics.median(fl), statistics.median(fh)
            print(f"   {label}: {found} targets; watchdog {w * 1e3:.1f} ms CPU/scan = {w * 100:.2f}% of one core "
                  f"at 1 s (wall {statistics.median(walls) * 1e3:.1f} ms); floor {f * 1e3:.1f} ms, ratio "
                  f"{w / f:.2f}x (targets <= 2%, <= 1.5x); held floor {h * 1e3:.1f} ms, ratio {w / h:.2f}x")
            dog.close()
        held.close()
    finally:
        for p in sleepers:
            p.kill()
        for p in sleepers:
            p.wait()


def bench_latency(n: int, trials: int, work: str) -> None:
    from forensics.hangs import read_ready
    from forensics.watch.events import Events
    from forensics.watch.policy import PolicyConfig
    from forensics.watch.rules import RuleConfig
    from forensics.watch.watchdog import WatchConfig, Watchdog

    stale, interval = 2.0, 1.0
    sleepers = spawn_sleepers(n)
    beats = os.path.join(work, "beats-latency")
    os.makedirs(beats)
    fake_beats(beats, [p.pid for p in sleepers])
    healthy = threading.Event()

    def keep_beating() -> None:  # the 500 others are healthy workers: their files stay fresh
        while not healthy.wait(0.5):
            fake_beats(beats, [p.pid for p in sleepers])

    refresher = threading.Thread(target=keep_beating, daemon=True)
    refresher.start()
    latencies, missed = [], []
    try:
        for i in range(trials):
            cfg = WatchConfig(heartbeat_dir=beats, interval_s=interval, store=os.path.join(work, f"lat{i}"),
                              rules=RuleConfig(stale_s=stale), policy=PolicyConfig(grace_s=1.0))
            events = Events(quiet=True)
            dog = Watchdog(cfg, events=events)
            stop = threading.Event()
            runner = threading.Thread(target=dog.run, args=(stop,))
            runner.start()
            time.sleep(interval * i / trials)  # spread the hang's phase against the scan ticks
            env = dict(os.environ, HANGDUMP_HEARTBEAT_DIR=beats)
            worker = subprocess.Popen([sys.executable, "-m", "forensics.watch.worker", "--mode", "sleep_forever"],
                                      stdout=subprocess.PIPE, env=env)
            read_ready(worker, time.monotonic() + 30)
            with open(os.path.join(beats, f"{worker.pid}.json")) as fh:
                hang_at = json.load(fh)["mono"]  # the worker's last call: the hang starts there
            deadline = time.monotonic() + 60
            while not events.of("captured", worker.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            captured = events.of("captured", worker.pid)
            stop.set()
            runner.join()
            worker.kill()
            worker.wait()
            os.unlink(os.path.join(beats, f"{worker.pid}.json"))
            if captured:
                detected = events.of("detected", worker.pid)[0]["mono"] - hang_at
                latencies.append((detected, captured[0]["mono"] - hang_at))
            else:
                failed = events.of("capture_failed", worker.pid)
                missed.append(failed[0].get("error") if failed else
                              "no capture within 60 s" + ("" if events.of("detected", worker.pid) else ", never detected"))
    finally:
        healthy.set()
        refresher.join()
        for p in sleepers:
            p.kill()
        for p in sleepers:
            p.wait()
    shown = ", ".join(f"{d:.2f}/{c:.2f}" for d, c in latencies)
    print(f"2. latency from the last beat to detected / to capture stored, {n} other targets, stale {stale:g}s, "
          f"interval {interval:g}s: [{shown}] s; max stored {max(c for _, c in latencies):.2f}s vs bound "
          f"{stale + interval:g}s ({len(latencies)}/{trials} captured)")
    for why in missed:
        print(f"   a trial without a capture: {why}")


def bench_heartbeat(work: str) -> None:
    from forensics import heartbeat

    hb = heartbeat.Heartbeat(heartbeat.FileBackend(os.path.join(work, "hb")), resolution=1.0)
    hb.beat()
    calls = 200_000
    t = time.process_time()
    for _ in range(calls):
        hb.beat()
    beat_us = (time.process_time() - t) / calls * 1e6
    t = time.process_time()
    for i in range(calls):
        hb.task_started("work", i)
        hb.task_finished()
    pair_us = (time.process_time() - t) / calls * 1e6

    def task(k: int) -> int:
        s = 0
        for i in range(k):
            s += i * i
        return s

    def run(variant: str, n: int) -> float:
        """CPU seconds of n tasks with the variant's calls around each (CPU time: preemption is not overhead)."""
        t = time.process_time()
        if variant == "plain":
            for _ in range(n):
                task(k)
        elif variant == "beat per task":
            for _ in range(n):
                task(k)
                hb.beat()
        else:
            for i in range(n):
                hb.task_started("work", i)
                task(k)
                hb.task_finished()
        return time.process_time() - t

    k = 1000
    while run("plain", 5) / 5 < 1e-3:  # calibrate ~1 ms of pure-Python CPU work per task
        k = int(k * 1.3)
    # Paired: a batch of plain tasks and one with the calls, the order swapped every round, so load that comes
    # and goes on the machine hits both halves of a pair alike; the median of the pairs' ratios.
    rounds, batch = 400, 10
    print(f"3. heartbeat: beat() {beat_us:.2f} us/call; task_started+task_finished {pair_us:.2f} us/pair; "
          f"writer writes at most 1/s")
    for label, cost in (("beat per task", beat_us), ("task_started/finished per task", pair_us)):
        ratios = []
        for r in range(rounds):
            if r % 2:  # left to right: the order of the runs
                with_calls, plain = run(label, batch), run("plain", batch)
            else:
                plain, with_calls = run("plain", batch), run(label, batch)
            ratios.append(with_calls / plain - 1)
        print(f"   on a 1 ms task, {label}: {cost / 10:.3f}% (cost/1 ms), measured "
              f"{statistics.median(ratios) * 100:+.2f}% (CPU time, median of {rounds} paired batches of {batch} "
              "tasks, order alternated) (target < 1%)")
    hb.close()


def inner(args) -> None:
    import forensics

    where = os.path.dirname(forensics.__file__)
    assert REPO not in where, f"measuring the checkout ({where}), not the installed package"
    print(f"hangdump installed at {where}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-watch-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None) \
            as work:
        bench_scan(args.targets, args.scans, work)
        bench_latency(args.targets, args.trials, work)
        bench_heartbeat(work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--scans", type=int, default=20)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--venv", default=os.path.join(tempfile.gettempdir(), "hangdump-bench-watch"))
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        return inner(args)
    python = ensure_venv(args.venv)
    sys.exit(subprocess.run([python, os.path.abspath(__file__), "--inner", *sys.argv[1:]], cwd="/",
                            check=False).returncode)


if __name__ == "__main__":
    main()
