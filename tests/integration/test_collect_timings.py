"""collect --timings: the wall time of every phase on stderr, the capture itself unchanged."""
import json
import os
import subprocess
import sys

import pytest

from forensics.model import Capture
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PHASES = ("start-up and imports", "targets", "capture", "store", "output", "total")


def collect(pid: int | list[int], store, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    pids = [a for p in (pid if isinstance(pid, list) else [pid]) for a in ("--pid", str(p))]
    return subprocess.run([sys.executable, "-m", "forensics", "collect", *pids, "--json", *extra],
                          check=False, capture_output=True, text=True, env=env, timeout=120)


def test_timings_name_every_phase_and_sum_to_the_total(tmp_path):
    with spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        res = collect(hung.pid, tmp_path, "--timings")
        assert_left_running(hung.pid)
    assert res.returncode == 0, res.stderr
    assert {t.name for t in Capture.from_json(res.stdout).threads} >= {"worker-a", "worker-b"}
    assert_phases(res.stderr)


def test_a_pool_has_the_same_phases(tmp_path):
    """Several targets (runs queued at the core count, writers in threads): the same phases, once each."""
    with spawn_hang("deadlock_ab") as a, spawn_hang("deadlock_ab") as b, spawn_hang("deadlock_ab") as c:
        hung = [a, b, c]
        for h in hung:
            wait_blocked(h.pid, [h.tid("worker-a"), h.tid("worker-b")], syscalls={"futex"})
        res = collect([h.pid for h in hung], tmp_path, "--timings")
        for h in hung:
            assert_left_running(h.pid)
    assert res.returncode == 0, res.stderr
    assert sorted(Capture.from_dict(d).pid for d in json.loads(res.stdout)) == sorted(h.pid for h in hung)
    assert len(list((tmp_path / "captures").glob("*.json"))) == len(hung)
    assert_phases(res.stderr)


def assert_phases(stderr: str) -> None:
    line = next(ln for ln in stderr.splitlines() if ln.startswith("timings: "))
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
