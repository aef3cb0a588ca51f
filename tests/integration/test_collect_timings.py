"""collect --timings: the wall time of every phase on stderr, the capture itself unchanged."""
import os
import subprocess
import sys

import pytest

from forensics.model import Capture
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PHASES = ("start-up and imports", "targets", "capture", "store", "output", "total")


def collect(pid: int, store, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(pid), "--json", *extra],
                          check=False, capture_output=True, text=True, env=env, timeout=120)


def test_timings_name_every_phase_and_sum_to_the_total(tmp_path):
    with spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        res = collect(hung.pid, tmp_path, "--timings")
        assert_left_running(hung.pid)
    assert res.returncode == 0, res.stderr
    assert {t.name for t in Capture.from_json(res.stdout).threads} >= {"worker-a", "worker-b"}
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("timings: "))
    parts = [p.rsplit(" ", 2) for p in line.removeprefix("timings: ").split(" · ")]
    assert tuple(name for name, _, unit in parts) == PHASES and {unit for *_, unit in parts} == {"ms"}
    values = [float(v) for _, v, _ in parts]
    assert all(v >= 0 for v in values)
    assert abs(sum(values[:-1]) - values[-1]) < 0.1 * len(values)  # rounding of each phase only


def test_without_the_flag_nothing_is_printed(tmp_path):
    with spawn_hang("deadlock_ab") as hung:
        res = collect(hung.pid, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "timings:" not in res.stderr
