"""The capture budget: the orchestrator stops a capture at its deadline, leaves the target running, and
the watchdog's kill policy goes on. Real targets, the real py-spy, a real second capture holding the lock."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from forensics import procfs
from forensics.capture import lock
from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.errors import CaptureTimeout
from forensics.identity import identity, tracer_pid
from forensics.store.local import LocalStore
from forensics.watch.capture import capture_target
from tests.integration.test_watch import Workers, config, kinds, wait_stale, watchdog
from tests.support import REPO_ROOT, assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

# py-spy takes about a second to read 1,000 threads (and tens of ms to read even five): 50 ms is far less.
MANY_THREADS = ["--extra-idle-threads", "1000"]
TOO_SHORT_S = 0.05

HOLDER = (
    "import sys\n"
    "from forensics.capture import lock\n"
    "from forensics.identity import identity\n"
    "lock.acquire([identity(int(sys.argv[1]))])\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)


def our_tools() -> list[int]:
    """Our children that are capture tools (py-spy, gdb): none may outlive a capture."""
    out = []
    for pid in procfs.children(os.getpid()):
        try:
            with open(f"/proc/{pid}/comm") as fh:
                if fh.read().strip() in ("py-spy", "gdb"):
                    out.append(pid)
        except OSError:
            continue
    return out


class Holder:
    """Another hangdump process holding a target's capture lock (as a concurrent capture would) until closed."""

    def __init__(self, pid: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(pid)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
        assert self.proc.stdout.readline().strip() == "held"

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@pytest.fixture
def workers(tmp_path):
    w = Workers(tmp_path)
    yield w
    w.close()


@pytest.mark.parametrize("method", ["py-spy", "gdb"])
def test_a_capture_past_its_budget_stops_the_tool_and_leaves_the_target_running(method):
    if method == "gdb" and shutil.which("gdb") is None:
        pytest.skip("gdb not installed")
    with spawn_hang("deadlock_ab", args=MANY_THREADS, canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        [o] = collect([hung.pid], CollectOptions(method=method), budget_s=TOO_SHORT_S)
        assert o.capture is None and isinstance(o.error, CaptureTimeout)
        assert f"ran out of its {TOO_SHORT_S:g}s budget" in o.error.one_line()
        assert "target left running" in o.error.one_line()
        assert our_tools() == [] and tracer_pid(hung.pid) == 0
        assert_left_running(hung.pid)
        # and still capturable: the budget, not the target, ended that capture
        [again] = collect([hung.pid], CollectOptions(), budget_s=120)
        assert again.error is None and len(again.capture.threads) > 1000


def test_the_watchdogs_capture_past_its_budget_is_a_timed_out_failure(tmp_path):
    with spawn_hang("deadlock_ab", args=MANY_THREADS, canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        store = LocalStore(tmp_path)
        res = capture_target(identity(hung.pid), "stale_heartbeat", {}, store, TOO_SHORT_S)
        assert res.timed_out and res.capture_id is None and "budget" in res.error
        assert our_tools() == []
        assert_left_running(hung.pid)
        assert list(store.scan()) == []


def test_a_capture_queued_behind_another_gives_up_at_its_budget():
    if lock.lock_dir() is None:
        pytest.skip("no lock directory for this user: captures are not serialized")
    with spawn_hang("deadlock_ab", canary=True) as hung:
        holder = Holder(hung.pid)
        try:
            [o] = collect([hung.pid], CollectOptions(), budget_s=0.5)
        finally:
            holder.close()
        assert isinstance(o.error, CaptureTimeout) and "for another capture" in o.error.one_line()
        assert "budget" in o.error.one_line()
        assert_left_running(hung.pid)
        [again] = collect([hung.pid], CollectOptions(), budget_s=60)  # the lock was let go: it goes through
        assert again.error is None


def test_a_stuck_capture_never_holds_the_kill_back(workers):
    """A worker whose capture waits behind another capture of it: the budget ends the wait, the kill follows."""
    if lock.lock_dir() is None:
        pytest.skip("no lock directory for this user: captures are not serialized")
    proc, _ = workers.start("sleep_forever")
    wait_stale(workers, proc.pid)
    holder = Holder(proc.pid)
    try:
        dog = watchdog(config(workers, capture_budget_s=1.0))
        dog.run_once()
    finally:
        holder.close()
    assert kinds(dog, proc.pid) == ["detected", "capture_failed", "signalled:SIGTERM", "exited"]
    failed = dog.events.of("capture_failed", proc.pid)[0]
    assert failed["timed_out"] and "budget" in failed["error"]
    assert proc.wait(timeout=10) == 0
