#!/usr/bin/env python3
"""Benchmark: the Redis fleet store and Redis heartbeats, measured on the installed package.

In one run, on a scratch redis-server (loopback, no persistence) and a scratch venv (`pip install .`):
1. Load: the 10k-capture synthetic store (common.store_of) pushed into Redis through RedisStore.put;
   captures/s, and Redis's memory (INFO memory used_memory) before and after: bytes per capture against
   the JSON on disk (the bounded-memory note).
2. `hangdump report --store redis://...` against the same report from the local store, alternating
   runs, medians (target <= 1.5x); `hangdump ls` the same way.
3. Heartbeats with the Redis backend: a 1 ms pure-Python task with task_started/task_finished around it,
   against the plain task, CPU time of the whole process (the writer thread's Redis writes included),
   alternated (target < 5%); then the same with Redis stopped (writes failing, backoff) to show a down
   Redis costs the worker nothing either.
4. The watchdog's read of 500 workers' beats from Redis (RedisBeatReader.read), ms per scan.
Usage: python scripts/bench/redis_fleet.py [--ref HEAD] [--captures 10000] [--rounds 3] [--parts store,heartbeat]
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

LOAD = """
import json, os, sys, time
from forensics.model import Capture
from forensics.store.redis_store import RedisStore
store = RedisStore(sys.argv[1], root=sys.argv[3])
d = os.path.join(sys.argv[2], "captures")
names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
t = time.perf_counter()
for n in names:
    with open(os.path.join(d, n), "rb") as fh:
        status = store.put(Capture.from_json(fh.read())).status
        assert status in ("stored", "unchanged"), status
print(len(names), time.perf_counter() - t)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, work: str) -> None:
        self.port, self.work = free_port(), work
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is not installed (scripts/setup.sh installs it)"
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", self.work], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not answer"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def used_memory(python: str, url: str) -> tuple[int, int]:
    """Redis's used_memory, and the compressed capture bytes the store counts (hangdump:bytes)."""
    code = ("import redis, sys; r = redis.Redis.from_url(sys.argv[1]); "
            "print(r.info('memory')['used_memory'], int(r.get('hangdump:bytes') or 0))")
    out = subprocess.run([python, "-c", code, url], capture_output=True, text=True, check=True)
    used, docs = out.stdout.split()
    return int(used), int(docs)


def outer(args) -> None:
    sys.path.insert(0, str(HERE))
    from common import installed

    bin_dir = installed(args.ref)
    python, hangdump = str(bin_dir / "python"), str(bin_dir / "hangdump")
    if subprocess.run([python, "-c", "import redis"], capture_output=True, check=False).returncode:
        subprocess.run([str(bin_dir / "pip"), "install", "-q", "redis>=4"], check=True)
    work = tempfile.mkdtemp(prefix="hd-bench-redis-")
    server = Server(work)
    server.start()
    try:
        url = f"redis://127.0.0.1:{server.port}/0"
        print(f"hangdump {args.ref} installed in {bin_dir.parent}; {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f}")
        if "store" in args.parts:
            store_part(args, python, hangdump, url, work)
        if "heartbeat" in args.parts:
            subprocess.run([python, str(Path(__file__)), "--inner", url], check=True)
            server.stop()
            subprocess.run([python, str(Path(__file__)), "--inner-down", url], check=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def store_part(args, python: str, hangdump: str, url: str, work: str) -> None:
    from common import paired, store_of, timed, versus

    root = store_of(args.captures)
    on_disk = sum(e.stat().st_size for e in os.scandir(root / "captures") if e.name.endswith(".json"))
    before, _ = used_memory(python, url)
    # the synthetic store spans 30 days from a fixed date: a retention that keeps all of it
    fleet = f"{url}?retention=10000d&budget=4G"
    n, seconds = subprocess.run([python, "-c", LOAD, fleet, str(root), os.path.join(work, "home")],
                                capture_output=True, text=True, check=True).stdout.split()
    after, docs = used_memory(python, url)
    n = int(n)
    print(f"1. load: {n} captures put in {float(seconds):.1f} s ({n / float(seconds):.0f}/s); Redis used_memory "
          f"{before / 1e6:.1f} MB -> {after / 1e6:.1f} MB: {(after - before) / n:.0f} B per capture "
          f"(JSON on disk {on_disk / n:.0f} B per capture, {on_disk / max(1, after - before):.1f}x): compressed "
          f"documents {docs / n:.0f} B, index + row + key overhead {(after - before - docs) / n:.0f} B")
    out = os.path.join(work, "hangs.html")
    env = dict(os.environ, HANGDUMP_HOME=os.path.join(work, "home"))
    for cmd, extra in (("report", ["--out", out]), ("ls", [])):
        m = paired({
            "local": lambda cmd=cmd, extra=extra: timed([hangdump, cmd, *extra, "--store", str(root)], env=env),
            "redis": lambda cmd=cmd, extra=extra: timed([hangdump, cmd, *extra, "--store", fleet], env=env),
        }, args.rounds)
        target = "  (target <= 1.5x)" if cmd == "report" else ""
        print(f"2. {cmd:7} {n} captures: local {m['local']:7.3f} s  redis {m['redis']:7.3f} s  "
              f"{versus(m['redis'], m['local'])}{target}", flush=True)


def task(k: int) -> int:
    s = 0
    for i in range(k):
        s += i * i
    return s


def calibrated() -> int:
    k = 1000
    while True:  # ~1 ms of pure-Python work
        t = time.perf_counter()
        task(k)
        if time.perf_counter() - t >= 1e-3:
            return k
        k = int(k * 1.3)


def heartbeat_cost(url: str, label: str) -> None:
    from forensics import heartbeat

    backend = heartbeat.RedisBackend(url)
    hb = heartbeat.Heartbeat(backend, resolution=1.0)
    hb.task_finished()
    calls = 100_000
    t = time.process_time()
    for i in range(calls):
        hb.task_started("work", id=str(i))
        hb.task_finished()
    pair_us = (time.process_time() - t) / calls * 1e6
    payload, writes, failed = hb.payload(), 300, 0
    t = time.process_time()
    for _ in range(writes):
        try:
            backend.write(payload)
        except OSError:
            failed += 1
        backend._retry_at = 0.0  # measure the call itself, not the backoff that skips it
    write_ms = (time.process_time() - t) / writes * 1e3
    print(f"3. heartbeat to Redis ({label}): task_started+task_finished {pair_us:.2f} us/pair = "
          f"{pair_us / 10:.3f}% of a 1 ms task; one write (the writer thread, at most 1/s) {write_ms:.3f} ms CPU"
          f"{f' ({failed} of {writes} failed)' if failed else ''} = {write_ms / 10:.3f}% of a core per worker")
    k = calibrated()
    tasks, rounds = 1000, 9
    plain, beating = [], []
    for _ in range(rounds):
        t = time.process_time()  # the whole process's CPU: the writer thread's Redis writes count
        for _ in range(tasks):
            task(k)
        plain.append(time.process_time() - t)
        t = time.process_time()
        for i in range(tasks):
            hb.task_started("work", id=str(i))
            task(k)
            hb.task_finished()
        beating.append(time.process_time() - t)
    base, ours = sorted(plain)[rounds // 2], sorted(beating)[rounds // 2]
    print(f"   measured: 1 ms task {base / tasks * 1e3:.3f} ms plain, "
          f"{ours / tasks * 1e3:.3f} ms with task_started/finished: {(ours - base) / base * 100:+.2f}% "
          f"(median of {rounds} x {tasks} tasks, CPU time incl. the writer thread) (target < 5%)", flush=True)
    hb.close()


def reader_cost(url: str, workers: int = 500, reads: int = 30) -> None:
    """The watchdog's read of ``workers`` beats per scan: every beat unchanged since the last scan (idle workers:
    the parsed beats are reused), and every beat rewritten before each scan (a busy fleet: all parsed again)."""
    import json

    import redis

    from forensics.watch.redis_beats import RedisBeatReader

    os.environ["HANGDUMP_HOST"] = "bench-host"
    client = redis.Redis.from_url(url)

    def write(seq: int) -> None:
        now = time.monotonic()
        client.hset("hangdump:hb:bench-host", mapping={
            str(pid): json.dumps({"pid": pid, "start_ticks": 1, "seq": seq, "mono": now, "state": "task",
                                  "task": "t", "resolution": 1.0}) for pid in range(10_000, 10_000 + workers)})

    before = int(client.info("memory")["used_memory"])
    write(1)
    grown = int(client.info("memory")["used_memory"]) - before
    print(f"4. {workers} workers' beats in Redis: {grown / 1e3:.0f} kB ({grown / workers:.0f} B per worker)")
    reader = RedisBeatReader(url, prune_every_s=None)  # the pids are made up: /proc would say they are gone
    reader.read(None, time.monotonic())
    for label, rewrite in (("unchanged", False), ("all rewritten", True)):
        wall = cpu = 0.0
        for i in range(reads):
            if rewrite:
                write(i + 2)
            t, c = time.perf_counter(), time.process_time()
            beats = reader.read(None, time.monotonic())
            wall, cpu = wall + time.perf_counter() - t, cpu + time.process_time() - c
            assert len(beats.by_pid) == workers, len(beats.by_pid)
        print(f"4. watchdog read of {workers} beats from Redis, {label}: {wall / reads * 1e3:.2f} ms wall, "
              f"{cpu / reads * 1e3:.2f} ms CPU per scan")
    client.delete("hangdump:hb:bench-host")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", default="HEAD")
    ap.add_argument("--captures", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parts", default="store,heartbeat", help="store: 1 and 2; heartbeat: 3 and 4")
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    ap.add_argument("--inner-down", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        import forensics

        assert "site-packages" in forensics.__file__, f"measuring {forensics.__file__}, not the installed package"
        heartbeat_cost(args.inner, "Redis up")
        reader_cost(args.inner)
    elif args.inner_down:
        heartbeat_cost(args.inner_down, "Redis down: writes fail, backoff")
    else:
        outer(args)


if __name__ == "__main__":
    main()
