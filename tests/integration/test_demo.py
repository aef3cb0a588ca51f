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
    assert len(list((store / "captures").glob("*.json"))) == 5
    report = (store / "report.html").read_text()
    assert report.lower().startswith("<!doctype html>")
    assert "transfer_a_to_b" in report and "lock-order deadlock between" in report
    listed = subprocess.run(
        [sys.executable, "-m", "forensics", "ls", "--json", "--store", str(store)],
        check=True, capture_output=True, text=True,
    )
    pids = [row["pid"] for row in json.loads(listed.stdout)]
    assert len(pids) == 5
    for pid in pids:
        with pytest.raises(TargetNotFound):
            read_stat(pid)
