"""`hangdump demo`: the one command that shows the product on real hung workers, and leaves nothing behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from forensics.errors import TargetNotFound
from forensics.identity import read_stat

pytestmark = pytest.mark.integration


def test_demo_captures_every_hang_and_cleans_up(tmp_path):
    store = tmp_path / "demo"
    res = subprocess.run(
        [sys.executable, "-m", "forensics", "demo", "--store", str(store)],
        check=False, capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert res.returncode == 0, res.stderr
    for name in ("deadlock_ab", "gil_held_ctypes", "http_read_no_timeout", "queue_get_dead_producer", "busy_spin"):
        assert f"=== {name} ===" in res.stdout
    assert "lock-order deadlock between" in res.stdout
    assert "holds the GIL" in res.stdout
    captures = [json.loads(p.read_text()) for p in (store / "captures").glob("*.json")]
    assert sorted(c["trigger"]["kind"] for c in captures) == ["manual"] * 5 + ["watchdog"] * 3
    # the watchdog stage: every hung worker captured (its rule in the trigger) and ended, the healthy left alone
    watch_section = res.stdout.split("=== the watchdog ===")[1]
    assert watch_section.count("left alone") == 4
    assert watch_section.count("; ended") == 3 and "STILL RUNNING" not in watch_section
    assert "SIGTERM then SIGKILL" in watch_section  # the one that ignores SIGTERM
    rules = sorted(c["trigger"]["rule"] for c in captures if c["trigger"]["kind"] == "watchdog")
    assert rules[0] == "blocked" and rules[-1] == "busy"  # the deadlock (beating thread) and the spinner
    assert rules[1] in ("blocked", "heartbeat_stale")  # the sleeper: blocked once two samples show no progress
    assert "=== clusters of the watchdog's captures" in res.stdout and "[deadlock]" in watch_section
    headlines = [line for line in watch_section.splitlines() if line.startswith("  cluster ")]
    assert len(headlines) == 3 and not any("tid " in line for line in headlines), headlines  # per cluster, not member
    report = (store / "report.html").read_text()
    assert report.lower().startswith("<!doctype html>")
    assert "transfer_a_to_b" in report and "lock-order deadlock between" in report
    listed = subprocess.run(
        [sys.executable, "-m", "forensics", "ls", "--json", "--store", str(store)],
        check=True, capture_output=True, text=True,
    )
    pids = [row["pid"] for row in json.loads(listed.stdout)]
    assert len(pids) == 8
    for pid in pids:
        with pytest.raises(TargetNotFound):
            read_stat(pid)
