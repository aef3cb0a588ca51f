"""forensics.sharedmm against a real vfork'd child (fixtures/faults/dstate.py: posix_spawn's child blocked
opening a FIFO before its exec) and a real forked one (the fixture itself, forked by subprocess)."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forensics import sharedmm
from forensics.hangs import read_ready
from tests.support import REPO_ROOT

pytestmark = pytest.mark.integration


def _children(pid: int, tid: str) -> list[str]:
    """The children of one thread; none when the thread exited since the task listing (a helper thread of
    the fixture's interpreter can end in between)."""
    try:
        return Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return []


@pytest.fixture
def vforked(tmp_path):
    """(parent, child): the parent's main thread waits for the child, which has not exec'd yet."""
    fifo = tmp_path / "fifo"
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "fixtures" / "faults" / "dstate.py"), "--main", str(fifo)],
                            stdout=subprocess.PIPE)
    try:
        info, seen = read_ready(proc, time.monotonic() + 30)
        assert info is not None, seen
        (child,) = [int(k) for tid in os.listdir(f"/proc/{proc.pid}/task") for k in _children(proc.pid, tid)]
        yield proc.pid, child
    finally:
        with contextlib.suppress(OSError):  # the child opens the FIFO and execs /bin/true (killing the parent
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # alone would leave it blocked, orphaned)
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_kcmp_tells_the_vfork_child_from_a_forked_one(vforked):
    parent, child = vforked
    if sharedmm.kcmp_vm(os.getpid(), os.getpid()) is None:
        pytest.skip("kcmp(2) unavailable here (the fallback is tested below)")
    assert sharedmm.kcmp_vm(child, parent) is True
    assert sharedmm.shares_parent_mm(child, parent)
    assert not sharedmm.shares_parent_mm(parent, os.getpid())  # forked by subprocess: its own memory


def test_without_kcmp_the_parents_wait_for_vfork_done_is_the_witness(vforked, monkeypatch):
    """kcmp replaced by 'cannot tell' (stands for a kernel without CONFIG_CHECKPOINT_RESTORE or a seccomp
    filter, which this machine cannot produce): the command lines and the parent's wchan decide."""
    parent, child = vforked
    monkeypatch.setattr(sharedmm, "kcmp_vm", lambda pid, other: None)
    assert sharedmm.shares_parent_mm(child, parent)
    assert not sharedmm.shares_parent_mm(parent, os.getpid())
