"""collect --source-root on a real hung process whose source has moved since it started (deployed elsewhere)."""
import os
import shutil
import subprocess
import sys

import pytest

from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration


def collect(pid: int, store, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(pid), "--no-store", *extra],
                          check=False, capture_output=True, text=True, env=env, timeout=120)


def test_a_deadlock_whose_source_moved_is_named_from_the_checkout_the_user_points_to(tmp_path):
    deployed = tmp_path / "deployed"
    deployed.mkdir()
    for f in ("deadlock_ab.py", "_scaffold.py"):
        shutil.copy(HANGS_DIR / f, deployed / f)
    with spawn_hang("deadlock_ab", script=deployed / "deadlock_ab.py") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        checkout = tmp_path / "checkout"
        deployed.rename(checkout)  # the running process keeps its code; its files are elsewhere now
        blind = collect(hung.pid, tmp_path)
        mapped = collect(hung.pid, tmp_path, "--source-root", f"{deployed}={checkout}")
        bare = collect(hung.pid, tmp_path, "--source-root", str(checkout))
        assert_left_running(hung.pid)
    assert blind.returncode == mapped.returncode == bare.returncode == 0, (blind.stderr, mapped.stderr)
    assert "`lock_a`" not in blind.stdout
    for res in (mapped, bare):
        assert "lock-order deadlock" in res.stdout and "`lock_a`" in res.stdout and "`lock_b`" in res.stdout, res.stdout
