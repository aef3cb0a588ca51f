"""The guard that leaves a target running, against a tool that really dies mid-attach (fixtures/faults)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from forensics import identity
from forensics.capture.guard import ToolRun, target_guard
from forensics.errors import TargetNotFound
from tests.support import REPO_ROOT, assert_left_running, spawn_hang, stop_pending, wait_blocked, wait_until

pytestmark = pytest.mark.integration

DIE_MID_ATTACH = [sys.executable, str(REPO_ROOT / "fixtures" / "faults" / "die_mid_attach.py")]


@pytest.fixture
def hung():
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "20"], canary=True) as proc:
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


# --- hangdump itself killed while its tool waits on a thread in D ------------------------------------------

FAULTS = REPO_ROOT / "fixtures" / "faults"
# The capture path's guarded tool run, in a process of its own that the test SIGKILLs (as OOM or kill -9 would).
CAPTURER = (
    "import sys\n"
    "from forensics.capture.guard import ToolRun\n"
    "from forensics.identity import identity\n"
    "run = ToolRun(sys.argv[2:], identity(int(sys.argv[1])))\n"
    "print('STARTED', run.pid, flush=True)\n"
    "run.finish(600)\n"
)


def _tool_argv(tool: str, pid: int) -> list[str]:
    if tool == "py-spy":
        from forensics.capture.pyspy import find_pyspy

        return [find_pyspy(), "dump", "--pid", str(pid)]
    return [shutil.which("gdb"), "--nx", "-batch", "-p", str(pid), "-ex", "info threads"]


@pytest.mark.parametrize("tool", ["py-spy", "gdb"])
def test_hangdump_killed_while_its_tool_waits_on_a_d_state_thread(tool):
    """The tool dies with hangdump (PR_SET_PDEATHSIG), and hangdump's keeper resumes the target: untraced at
    once, and still running once the D thread wakes (gdb's attach SIGSTOP stayed queued on it meanwhile)."""
    if tool == "gdb" and shutil.which("gdb") is None:
        pytest.skip("gdb not installed")
    with spawn_hang("dstate", script=FAULTS / "dstate.py", canary=True) as hung:
        stuck = hung.tid("vforker")
        capturer = subprocess.Popen([sys.executable, "-c", CAPTURER, str(hung.pid), *_tool_argv(tool, hung.pid)],
                                    stdout=subprocess.PIPE, text=True)
        try:
            tool_pid = int(capturer.stdout.readline().split()[1])
            wait_until(lambda: identity.tracer_pid_of(hung.pid, stuck) == tool_pid, timeout=20, interval=0.002,
                       what=f"{tool} attached to the D thread")
            if tool == "gdb":
                wait_until(lambda: stop_pending(hung.pid), timeout=20, interval=0.002, what="gdb's SIGSTOP queued")
            capturer.kill()
        finally:
            capturer.kill()
            capturer.wait()
            capturer.stdout.close()
        wait_until(lambda: _gone(tool_pid), timeout=10, what=f"{tool} dead with hangdump")
        assert_left_running(hung.pid, allowed="RSD")
        assert identity.read_stat(hung.pid, stuck).state == "D"
        os.close(os.open(hung.info["fifo"], os.O_WRONLY))  # the D thread wakes
        wait_until(lambda: not os.path.exists(f"/proc/{hung.pid}/task/{stuck}"), what="the D thread done")
        assert_left_running(hung.pid)


def _gone(pid: int) -> bool:
    try:
        return identity.read_stat(pid).state in ("Z", "X")
    except TargetNotFound:
        return True
