"""A plain live capture runs without click (cli/collecting.py) and ends as it does through the click CLI."""
import os
import subprocess
import sys

import pytest

from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration


def collect(pid: int, store, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "forensics", "collect", "--pid", str(pid), *extra],
                          check=False, capture_output=True, text=True, env=env, timeout=120)


def imported(res: subprocess.CompletedProcess) -> set[str]:
    return {ln.rsplit("|", 1)[1].strip() for ln in res.stderr.splitlines() if ln.startswith("import time:")}


def test_a_plain_capture_imports_no_click_and_captures_as_the_cli_does(tmp_path):
    with spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        fast = collect(hung.pid, tmp_path)
        # --no-native is what the fast path does not read: the same capture through click
        cli = collect(hung.pid, tmp_path, "--no-native")
        assert_left_running(hung.pid)
    assert fast.returncode == cli.returncode == 0, (fast.stderr[-2000:], cli.stderr[-2000:])
    assert "click" not in imported(fast) and "click" in imported(cli)
    # two captures of one target, each its own: what both must say (a thread py-spy stopped before /proc was read
    # may differ between them in its kernel state)
    for res in (fast, cli):
        assert "lock-order deadlock" in res.stdout and res.stdout.startswith(f"pid {hung.pid}  python ")
        assert [ln for ln in res.stderr.splitlines() if ln.startswith("stored ")], res.stderr[-2000:]


def test_errors_read_the_same_either_way(tmp_path):
    with open("/proc/sys/kernel/pid_max") as fh:
        gone = int(fh.read()) + 1  # no process can have it
    fast = collect(gone, tmp_path)
    cli = collect(gone, tmp_path, "--no-native")
    assert fast.returncode == cli.returncode == 4
    errors = [[ln for ln in r.stderr.splitlines() if ln.startswith("hangdump:")] for r in (fast, cli)]
    assert errors[0] == errors[1] and errors[0], errors
