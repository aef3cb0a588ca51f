"""The guard that leaves a target running, against a tool that really dies mid-attach (fixtures/faults)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from forensics import identity
from forensics.capture.guard import ToolRun, target_guard
from tests.support import REPO_ROOT, assert_left_running, spawn_hang, wait_blocked, wait_until

pytestmark = pytest.mark.integration

DIE_MID_ATTACH = [sys.executable, str(REPO_ROOT / "fixtures" / "faults" / "die_mid_attach.py")]


@pytest.fixture
def hung():
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "20"]) as proc:
        wait_blocked(proc.pid, [proc.tid("worker-a"), proc.tid("worker-b")], syscalls={"futex"})
        yield proc


def test_the_fault_is_real_without_the_guard(hung):
    """Control: nothing resumes the target, it stays stopped. Otherwise the tests below prove nothing."""
    res = subprocess.run([*DIE_MID_ATTACH, str(hung.pid)], check=False)
    assert res.returncode == -signal.SIGKILL
    try:
        wait_until(lambda: identity.read_stat(hung.pid).state == "T", timeout=5, what="target group-stopped")
    finally:
        os.kill(hung.pid, signal.SIGCONT)


def test_tool_run_resumes_a_target_its_tool_left_stopped(hung):
    ident = identity.identity(hung.pid)
    result, notes = ToolRun([*DIE_MID_ATTACH, str(hung.pid)], ident).finish(timeout_s=30)
    assert result.returncode == -signal.SIGKILL
    assert_left_running(hung.pid)
    assert any("resumed it with SIGCONT" in n for n in notes), notes


def test_target_guard_resumes_a_target_a_step_left_stopped(hung):
    ident = identity.identity(hung.pid)
    notes: list[str] = []
    with target_guard(ident, notes):
        subprocess.run([*DIE_MID_ATTACH, str(hung.pid)], check=False)
    assert_left_running(hung.pid)
    assert any("resumed it with SIGCONT" in n for n in notes), notes


def test_guard_leaves_a_target_that_was_already_stopped_stopped(hung):
    """Someone stopped it on purpose before us (SIGSTOP, a debugger session): not ours to resume."""
    os.kill(hung.pid, signal.SIGSTOP)
    wait_until(lambda: identity.read_stat(hung.pid).state == "T", what="target stopped")
    ident = identity.identity(hung.pid)
    notes: list[str] = []
    try:
        with target_guard(ident, notes):
            subprocess.run([*DIE_MID_ATTACH, str(hung.pid)], check=False)
        assert not notes
        # the kernel lets the main thread run for an instant as it detaches, then it rejoins the group stop
        wait_until(lambda: identity.read_stat(hung.pid).state == "T", timeout=5, what="target stopped again")
    finally:
        os.kill(hung.pid, signal.SIGCONT)
