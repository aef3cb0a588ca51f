"""A real celery prefork pool (redis-server broker) with forensics.integrations.celery: per-task CPU/wall
ratios for a CPU-bound and an IO-bound task; a hanging task caught by the watchdog, its capture naming the
task and its id, the child ended, the pool replacing it while the other child keeps working."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import wait
from pathlib import Path

import pytest

from forensics import procfs
from forensics.model import Capture
from forensics.watch.policy import PolicyConfig
from forensics.watch.rules import RuleConfig
from forensics.watch.watchdog import WatchConfig, Watchdog
from tests.integration.test_frameworks import APPS
from tests.support import started, wait_until

pytestmark = pytest.mark.integration
REPO = APPS.parents[2]


def records(hb) -> list[dict]:
    path = hb / "tasks.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def beat(hb, pid: int) -> dict | None:
    try:
        return json.loads((hb / f"{pid}.json").read_text())
    except (OSError, ValueError):
        return None


def test_celery_pool_ratios_then_hung_task_captured_killed_and_replaced(redis_url, tmp_path):
    from celery import Celery

    hb = tmp_path / "hb"
    env = dict(os.environ, HD_BROKER=redis_url, PYTHONPATH=f"{APPS}{os.pathsep}{REPO}", HANGDUMP_HEARTBEAT_DIR=str(hb))
    log = tmp_path / "celery.log"
    argv = [sys.executable, "-m", "celery", "-A", "hd_pool", "worker", "--pool=prefork", "--concurrency=2",
            "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
    client = Celery(broker=redis_url)
    with started(argv, log, cwd=APPS, env=env) as master:
        wait_until(lambda: b"ready." in log.read_bytes() and len(procfs.children(master.pid)) == 2,
                   timeout=90, what="celery worker ready with 2 pool children")
        for _ in range(6):
            client.send_task("hd_pool.spin", args=[0.15])
            client.send_task("hd_pool.nap", args=[0.15])
        wait_until(lambda: len(records(hb)) >= 12, timeout=90, what="12 task records")
        res = subprocess.run([sys.executable, "-m", "forensics", "tasks", "--json", "--heartbeat-dir", str(hb)],
                             capture_output=True, text=True, timeout=60, check=True)
        stats = {s["task"]: s for s in json.loads(res.stdout)}
        assert stats["hd_pool.spin"]["count"] == 6 and stats["hd_pool.nap"]["count"] == 6
        assert stats["hd_pool.spin"]["cpu_wall_p50"] >= 0.6, stats  # ran on CPU (a loaded host shares it)
        assert stats["hd_pool.nap"]["cpu_wall_p50"] <= 0.1, stats

        kids = procfs.children(master.pid)
        hung_id = client.send_task("hd_pool.hang").id
        hung = wait_until(lambda: next((k for k in kids if (beat(hb, k) or {}).get("task_id") == hung_id), None),
                          timeout=60, what="a child running the hanging task")
        other = next(k for k in kids if k != hung)
        # without the heartbeat file, the task is read from the tracer's locals
        res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung), "--locals", "--json",
                              "--no-store"], capture_output=True, text=True, timeout=120, check=False,
                             env=dict(os.environ, HANGDUMP_HEARTBEAT_DIR=str(tmp_path / "elsewhere")))
        assert res.returncode == 0, res.stderr
        from_locals = Capture.from_json(res.stdout).process.worker
        assert from_locals == {"framework": "celery", "role": "child", "task": "hd_pool.hang", "task_id": hung_id,
                               "source": "locals"}, from_locals
        cfg = WatchConfig(heartbeat_dir=str(hb), interval_s=0.5, store=str(tmp_path / "store"),
                          rules=RuleConfig(stale_s=2.0), policy=PolicyConfig(grace_s=2.0, capture_budget_s=60.0))
        dog = Watchdog(cfg)
        decision = wait_until(lambda: next((d for d in dog.scan().decisions if d.target.ident.pid == hung), None),
                              timeout=60, interval=0.5, what="the watchdog's decision on the hung child")
        assert all(d.target.ident.pid != other for d in dog.scan().decisions), "the idle child is healthy"
        outcome = wait(dog.act(dog.scan()))
        dog.close()
        assert decision.detection.evidence["task_id"] == hung_id
        assert {f.result() for f in outcome.done} <= {"exited", "killed"}
        captured = dog.events.of("captured", hung)
        assert captured, dog.events.history
        cap = Capture.from_json(Path(captured[0]["path"]).read_bytes())
        worker = cap.process.worker
        assert worker["framework"] == "celery" and worker["role"] == "child"
        assert worker["task"] == "hd_pool.hang" and worker["task_id"] == hung_id and worker["task_age_s"] >= 2
        assert cap.trigger.rule in ("heartbeat_stale", "blocked")
        for cmd in (["show", cap.id], ["clusters"]):
            out = subprocess.run([sys.executable, "-m", "forensics", *cmd, "--store", str(tmp_path / "store")],
                                 capture_output=True, text=True, timeout=60, check=True).stdout
            assert "celery child" in out and "hd_pool.hang" in out, out
        wait_until(lambda: len(procfs.children(master.pid)) == 2 and hung not in procfs.children(master.pid),
                   timeout=60, what="the pool replacing the ended child")
        before = len(records(hb))
        client.send_task("hd_pool.nap", args=[0.01])
        client.send_task("hd_pool.nap", args=[0.01])
        wait_until(lambda: len(records(hb)) >= before + 2, timeout=60, what="the pool working on")
        assert other in {r["pid"] for r in records(hb)[before:]} | set(procfs.children(master.pid))
