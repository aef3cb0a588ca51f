"""hangdump mem and orphans on a real gunicorn: figures against smaps_rollup; a SIGKILLed arbiter's workers
(both stuck in a handler, so they never notice their parent is gone) found as orphans and reaped by --kill."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from forensics import procfs
from tests.integration.test_frameworks import free_port, gunicorn_sync_argv, silent_backend, started
from tests.support import syscall_name, thread_syscalls, wait_until

pytestmark = pytest.mark.integration


def hangdump(*args: str, store=None) -> list | dict:
    env = dict(os.environ, HANGDUMP_HOME=str(store)) if store else None
    res = subprocess.run([sys.executable, "-m", "forensics", *args, "--json"], capture_output=True, text=True,
                         timeout=180, check=False, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def rollup_kb(pid: int) -> dict[str, int]:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        lines = fh.read().splitlines()[1:]
    return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in lines)}


def ppid(pid: int) -> int | None:
    try:
        return procfs.read_stat(pid).ppid
    except Exception:  # noqa: BLE001 - gone
        return None


def waiting_for_work(pid: int) -> bool:
    """The sync worker's main thread in its select() between accepts (timeout / 2 s long)."""
    return syscall_name(thread_syscalls(pid).get(pid, "")) in ("select", "pselect6")


def test_mem_then_orphans_of_a_killed_arbiter_found_and_reaped(tmp_path):
    port = free_port()
    with silent_backend() as backend:
        env = dict(os.environ, HD_BACKEND_PORT=str(backend.getsockname()[1]))
        argv = gunicorn_sync_argv(port)
        with started(argv, tmp_path / "gunicorn.log", env=env) as arbiter:
            wait_until(lambda: len(procfs.children(arbiter.pid)) == 2, timeout=90, what="2 gunicorn workers")
            workers = procfs.children(arbiter.pid)
            inv = hangdump("mem", "--match", f"127\\.0\\.0\\.1:{port}")
            (pool,) = inv["pools"]
            assert pool["master"] == arbiter.pid
            roles = {p["pid"]: p["role"] for p in pool["processes"]}
            assert roles == {arbiter.pid: "master", workers[0]: "child", workers[1]: "child"}
            for p in pool["processes"]:
                kb = rollup_kb(p["pid"])
                # PSS divides each shared page among the processes mapping it, hangdump's own interpreter
                # included while it ran: read afterwards, it is higher by up to hangdump's share of libpython
                assert kb["Private_Clean"] + kb["Private_Dirty"] - 1024 <= p["pss"] / 1024 <= kb["Rss"] + 1024, (p, kb)
                assert abs(p["pss"] / 1024 - kb["Pss"]) <= 4096, (p, kb)
                assert abs(p["uss"] / 1024 - kb["Private_Clean"] - kb["Private_Dirty"]) <= 1024, (p, kb)
                assert abs(p["rss"] / 1024 - kb["Rss"]) <= 1024, (p, kb)
            assert pool["pss"] == sum(p["pss"] for p in pool["processes"])
            assert pool["rss"] >= pool["pss"] >= pool["uss"]

            clients = [socket.create_connection(("127.0.0.1", port)) for _ in workers]
            for c in clients:
                c.sendall(b"GET /export HTTP/1.0\r\n\r\n")
            conns = [backend.accept()[0] for _ in workers]  # both workers are now stuck in the handler
            assert hangdump("orphans", "--match", f"127\\.0\\.0\\.1:{port}") == []
            os.kill(arbiter.pid, signal.SIGKILL)
            arbiter.wait(timeout=30)
            wait_until(lambda: all(ppid(w) not in (None, arbiter.pid) for w in workers), timeout=30,
                       what="workers re-parented")
            found = hangdump("orphans", "--match", f"127\\.0\\.0\\.1:{port}")
            assert sorted(o["pid"] for o in found) == workers
            for o in found:
                assert o["pool"] == arbiter.pid and o["evidence"]["lost_group_leader"] == arbiter.pid
                assert f"127.0.0.1:{port}" in o["listening"]
                assert o["uss"] > 0 and o["age_s"] >= 0
            reaped = hangdump("orphans", "--match", f"127\\.0\\.0\\.1:{port}", "--kill", "--grace", "1",
                              store=tmp_path / "store")
            assert {o["pid"]: o["outcome"] in ("exited", "killed") for o in reaped} == {w: True for w in workers}
            for w in workers:
                assert ppid(w) is None or procfs.read_stat(w).state == "Z"
            captures = list((tmp_path / "store").rglob("*.json*"))
            assert any(str(w) in p.name for w in workers for p in captures), captures
            for c in clients + conns:
                c.close()


def test_idle_workers_of_a_killed_arbiter_are_orphans_to_the_watchdog_too_and_reaped(tmp_path):
    """An idle sync worker notices that its parent changed only between waits of timeout / 2 s: with
    --timeout 3600 the idle workers of a SIGKILLed arbiter stay, for half an hour. A watchdog started after the
    arbiter died (no parent recorded) finds them by their abandoned process group, as `hangdump orphans`
    does; --kill captures each first, then SIGTERM, the grace, SIGKILL through the pidfd-checked killer."""
    from forensics.watch.events import Events
    from forensics.watch.policy import PolicyConfig
    from forensics.watch.watchdog import WatchConfig, Watchdog

    port = free_port()
    match = f"127\\.0\\.0\\.1:{port}"
    argv = gunicorn_sync_argv(port)
    with started(argv, tmp_path / "gunicorn.log") as arbiter:
        wait_until(lambda: len(procfs.children(arbiter.pid)) == 2, timeout=90, what="2 gunicorn workers")
        workers = procfs.children(arbiter.pid)
        # each in its long wait: a worker still booting checks its parent first and would exit at once
        wait_until(lambda: all(waiting_for_work(w) for w in workers), timeout=90, what="both workers idle")
        os.kill(arbiter.pid, signal.SIGKILL)
        arbiter.wait(timeout=30)
        wait_until(lambda: all(ppid(w) not in (None, arbiter.pid) for w in workers), timeout=30,
                   what="workers re-parented")
        assert all(waiting_for_work(w) for w in workers)  # alive, not a zombie left to init
        dog = Watchdog(WatchConfig(match=(match,), store=str(tmp_path / "dry"), policy=PolicyConfig(dry_run=True)),
                       events=Events(quiet=True))
        try:
            found = {d.target.ident.pid: d.detection for d in dog.scan().decisions}
        finally:
            dog.close()
        assert sorted(found) == workers
        assert {(d.rule, d.evidence["lost_group_leader"], d.evidence["recorded_ppid"]) for d in found.values()} == {
            ("orphan", arbiter.pid, None)}
        assert sorted(o["pid"] for o in hangdump("orphans", "--match", match)) == workers
        reaped = hangdump("orphans", "--match", match, "--kill", "--grace", "1", store=tmp_path / "store")
        assert {o["pid"]: o["outcome"] in ("exited", "killed") for o in reaped} == {w: True for w in workers}
        for w in workers:
            assert ppid(w) is None or procfs.read_stat(w).state == "Z"
        journal = [json.loads(line) for line in (tmp_path / "store" / "watch" / "journal.jsonl").read_text().splitlines()]
        for w in workers:  # each captured before its first signal
            assert [e["what"] for e in journal if e["pid"] == w][:2] == ["captured", "signal"], journal
