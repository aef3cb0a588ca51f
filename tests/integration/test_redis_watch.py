"""Watchdogs of a fleet on a real redis-server: workers heartbeat to Redis (HANGDUMP_HEARTBEAT), each host's
watchdog reads its own workers' beats there and pushes its captures there; an outage makes heartbeats
unknown (no kill) and spools captures, which arrive once after the restart; ``watch --fleet`` names the
host whose watchdog went silent. Waits are on conditions (scans, READY lines, exits), never on sleeps."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forensics.hangs import read_ready
from forensics.store.redis_store import RedisStore
from forensics.watch.events import Events
from forensics.watch.policy import PolicyConfig
from forensics.watch.rules import RuleConfig
from forensics.watch.watchdog import WatchConfig, Watchdog
from tests.integration.test_redis_store import corpus_captures
from tests.integration.test_watch import Workers
from tests.support import REPO_ROOT, RedisServer, wait_until

pytestmark = pytest.mark.integration


class Fleet(Workers):
    """forensics.watch.worker processes beating into Redis as some host; killed (by group) at the end."""

    def __init__(self, url: str, tmp: Path) -> None:
        super().__init__(tmp)
        self.url = url

    def start(self, host: str, mode: str, *args: str) -> subprocess.Popen:  # type: ignore[override]
        env = dict(os.environ, HANGDUMP_HEARTBEAT=self.url, HANGDUMP_HOST=host, PYTHONPATH=str(REPO_ROOT))
        proc = subprocess.Popen([sys.executable, "-m", "forensics.watch.worker", "--mode", mode, "--resolution", "0.1",
                                 *args], stdout=subprocess.PIPE, env=env, start_new_session=True)
        self.procs.append(proc)
        info, seen = read_ready(proc, time.monotonic() + 30)
        assert info is not None, f"worker {mode} never got ready: {seen!r}"
        return proc


@pytest.fixture
def fleet(redis_server, tmp_path):
    f = Fleet(redis_server.url, tmp_path)
    yield f
    f.close()


def beat_in_redis(server: RedisServer, host: str, pid: int) -> dict | None:
    raw = server.client().hget(f"hangdump:hb:{host}", str(pid))
    return json.loads(raw) if raw else None


def config(url: str, store: str, **policy) -> WatchConfig:
    return WatchConfig(heartbeat_dir=url, interval_s=0.3, store=store, rules=RuleConfig(stale_s=0.5),
                       policy=PolicyConfig(**{"grace_s": 1.0, "capture_budget_s": 30.0, "kill_wait_s": 10.0, **policy}))


def signals(log: Path) -> str:
    return log.read_text() if log.exists() else ""


def test_a_worker_heartbeating_to_redis_that_hangs_is_captured_and_killed_by_its_hosts_watchdog(
        fleet, redis_server, tmp_path, monkeypatch):
    hung = fleet.start("web-1", "sleep_forever")
    other_log = tmp_path / "other.signals"
    other = fleet.start("web-2", "sleep_forever", "--signal-log", str(other_log))  # another host's: not ours
    wait_until(lambda: beat_in_redis(redis_server, "web-1", hung.pid), what="the worker's beat in Redis")
    assert beat_in_redis(redis_server, "web-2", other.pid)["task"] == "nap"

    monkeypatch.setenv("HANGDUMP_HOST", "web-1")
    dog = Watchdog(config(redis_server.url, redis_server.url), events=Events(quiet=True))
    try:
        result = wait_until(lambda: (r := dog.scan()).decisions and r, timeout=60, what="the hang decided")
        assert [d.target.ident.pid for d in result.decisions] == [hung.pid]
        for fut in dog.act(result):
            fut.result(timeout=120)
    finally:
        dog.close()
    assert hung.wait(timeout=30) == 0  # SIGTERM, its handler exited
    assert other.poll() is None and signals(other_log) == ""
    [capture] = [c for c in RedisStore(redis_server.url, root=tmp_path / "reader").scan()]
    assert capture.host == "web-1" and capture.pid == hung.pid and capture.trigger.evidence["task"] == "nap"
    assert redis_server.client().zscore("hangdump:dogs", "web-1") is not None  # the watchdog beat too


def test_two_watchdogs_with_their_own_host_names_push_one_fleet_report(fleet, redis_server, tmp_path):
    """Deadlocked workers whose heartbeat thread still beats (caught as blocked) on two hosts, each watchdog a
    real `hangdump watch --once --host NAME`; one report over the Redis store has one cluster, both hosts."""
    url = redis_server.url
    workers = {host: fleet.start(host, "deadlock", "--thread") for host in ("web-1", "web-2")}
    for host, proc in workers.items():
        res = subprocess.run(
            [sys.executable, "-m", "forensics", "watch", "--once", "--host", host, "--heartbeat-dir", url,
             "--store", url, "--stale", "0.5", "--interval", "1.5", "--blocked", "0.6", "--grace", "1"],
            capture_output=True, text=True, timeout=180, check=False,
            env=dict(os.environ, HANGDUMP_HOME=str(tmp_path / host), PYTHONPATH=str(REPO_ROOT)))
        assert res.returncode == 0, res.stderr
        assert f"pid {proc.pid}: captured" in res.stderr, res.stderr
        assert proc.wait(timeout=30) is not None
    clusters = json.loads(subprocess.run(
        [sys.executable, "-m", "forensics", "clusters", "--json", "--store", url], capture_output=True, text=True,
        timeout=120, check=True, env=dict(os.environ, HANGDUMP_HOME=str(tmp_path / "reader"))).stdout)
    assert len(clusters) == 1 and clusters[0]["hosts"] == 2 and clusters[0]["category"] == "deadlock"
    out = tmp_path / "fleet.html"
    res = subprocess.run([sys.executable, "-m", "forensics", "report", "--store", url, "-o", str(out)],
                         capture_output=True, text=True, timeout=120, check=True,
                         env=dict(os.environ, HANGDUMP_HOME=str(tmp_path / "reader")))
    assert "2 captures, 1 clusters" in res.stderr
    assert "web-1" in out.read_text() and "web-2" in out.read_text()


def test_redis_killed_mid_run_no_kill_while_unknown_then_the_real_hang_only(tmp_path, monkeypatch):
    server = RedisServer(tmp_path, persist=True)
    with server:
        fleet = Fleet(server.url, tmp_path)
        try:
            hung_log, ok_log = tmp_path / "hung.signals", tmp_path / "ok.signals"
            hung = fleet.start("web-1", "sleep_forever", "--signal-log", str(hung_log))
            ok = fleet.start("web-1", "working", "--signal-log", str(ok_log))
            monkeypatch.setenv("HANGDUMP_HOST", "web-1")
            dog = Watchdog(config(server.url, str(tmp_path / "store")), events=Events(quiet=True))
            try:
                wait_until(lambda: beat_in_redis(server, "web-1", hung.pid), what="beat in Redis")
                server.kill()
                for _ in range(3):
                    result = dog.scan()
                    assert not result.beats.readable and result.decisions == ()
                assert [e["reason"] for e in dog.events.of("alert")] == ["heartbeats_unknown"]

                server.start()  # the same data back (fsynced AOF); the healthy writer may still be in backoff

                def decided():
                    assert hung.poll() is None, "the hung worker exited: something else signalled it"
                    return (r := dog.scan()).decisions and r

                result = wait_until(decided, timeout=60, what="the hang decided")
                assert [d.target.ident.pid for d in result.decisions] == [hung.pid], result.decisions
                for fut in dog.act(result):
                    fut.result(timeout=120)
            finally:
                dog.close()
            assert hung.wait(timeout=30) == 0 and signals(hung_log).strip() == "SIGTERM"
            assert ok.poll() is None and signals(ok_log) == ""
        finally:
            fleet.close()


def test_the_store_down_spools_the_watchdogs_capture_which_arrives_once_after_the_restart(tmp_path, monkeypatch):
    """Heartbeats in files, captures in Redis: a hang during the outage is captured (spooled), killed, and its
    capture pushed by the watchdog's own beat thread once Redis is back; pushing again adds nothing."""
    server = RedisServer(tmp_path, persist=True)
    workers = Workers(tmp_path)
    try:
        with server:
            proc, _ = workers.start("sleep_forever")
            monkeypatch.setenv("HANGDUMP_HOME", str(tmp_path / "home"))
            cfg = config(str(workers.dir), server.url)
            dog = Watchdog(cfg, events=Events(quiet=True))
            try:
                server.kill()
                result = wait_until(lambda: (r := dog.scan()).decisions and r, timeout=60, what="the hang decided")
                for fut in dog.act(result):
                    fut.result(timeout=120)
                captured = dog.events.of("captured", proc.pid)
                assert captured and "spooled" in captured[0]["path"]
                assert proc.wait(timeout=30) == 0
                store = dog.store
                assert store.spool.pending() == 1
                server.start()
                wait_until(lambda: (dog.scan(), store.spool.pending() == 0)[1], timeout=60,
                           what="the watchdog pushing its spool")
            finally:
                dog.close()
            ids = [c.id for c in RedisStore(server.url, root=tmp_path / "reader").scan()]
            assert ids == [captured[0]["capture_id"]]
    finally:
        workers.close()


def test_watch_fleet_names_the_host_whose_watchdog_went_silent(redis_server, tmp_path):
    url = redis_server.url
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), HANGDUMP_HOME=str(tmp_path / "home"))
    dogs = {}
    for host in ("web-1", "web-2"):
        dogs[host] = subprocess.Popen(
            [sys.executable, "-m", "forensics", "watch", "--host", host, "--heartbeat-dir", url, "--interval", "0.3"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = redis_server.client()
    try:
        wait_until(lambda: client.zcard("hangdump:dogs") == 2, timeout=60, what="both watchdogs beating")

        def fleet() -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "forensics", "watch", "--fleet", "--once", "--store", url],
                                  capture_output=True, text=True, timeout=60, env=env, check=False)

        first = fleet()
        assert first.returncode == 0 and first.stdout.count("  ok  ") == 2, first.stdout + first.stderr
        os.killpg(dogs["web-2"].pid, signal.SIGSTOP)  # alive but not scanning: silent, as a hung watchdog is
        silent = wait_until(lambda: (r := fleet()).returncode == 1 and r, timeout=60, what="web-2 silent")
        assert "web-2  SILENT" in silent.stdout and "web-1  ok" in silent.stdout
        assert "silent" in silent.stderr and "web-2" in silent.stderr
        os.killpg(dogs["web-1"].pid, signal.SIGTERM)
        assert dogs["web-1"].wait(timeout=30) == 0
        assert "web-1  stopped" in fleet().stdout  # a clean stop is not silence
    finally:
        for p in dogs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def test_a_stopped_redis_never_stalls_the_scan_and_the_capture_is_spooled(fleet, redis_server, tmp_path, monkeypatch):
    """SIGSTOP: connections are accepted by the kernel but never answered, the worst a Redis can do. Without a
    timeout on every call, the scan and the put below would wait forever."""
    proc = fleet.start("web-1", "sleep_forever")
    wait_until(lambda: beat_in_redis(redis_server, "web-1", proc.pid), what="the worker's beat in Redis")
    monkeypatch.setenv("HANGDUMP_HOST", "web-1")
    dog = Watchdog(config(redis_server.url, redis_server.url), events=Events(quiet=True))
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        result = dog.scan()
        assert not result.beats.readable and "unreachable" in result.beats.reason and result.decisions == ()
        store = RedisStore(redis_server.url, root=tmp_path / "home", timeout_s=0.5)
        assert store.put(corpus_captures(1)[0]).status == "spooled"
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
        dog.close()
    assert proc.poll() is None


def test_the_hosts_reader_drops_dead_workers_fields_and_a_damaged_beat_is_unknown(fleet, redis_server):
    from forensics.watch.redis_beats import RedisBeatReader

    alive, damaged, dead, dead_damaged = (fleet.start("web-1", "idle") for _ in range(4))  # idle: written once
    client = redis_server.client()
    wait_until(lambda: client.hlen("hangdump:hb:web-1") == 4, what="the four beats in Redis")
    for p in (dead, dead_damaged):
        os.killpg(p.pid, signal.SIGKILL)  # no clean exit: their fields stay behind
        p.wait(timeout=30)
    for p in (damaged, dead_damaged):
        client.hset("hangdump:hb:web-1", str(p.pid), "{not json")
    beats = RedisBeatReader(redis_server.url, host="web-1").read(None, time.monotonic())
    assert beats.readable and beats.known(alive.pid) and not beats.known(damaged.pid)
    assert set(beats.by_pid) == {alive.pid, dead.pid}  # read this scan; removed from Redis for the next
    assert sorted(client.hkeys("hangdump:hb:web-1")) == sorted(str(p.pid).encode() for p in (alive, damaged))
