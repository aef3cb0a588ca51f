"""Self-test of the hang fixtures: each one really hangs the way its READY line says.

Checked through /proc only: every thread listed in `expect` ends up in the
syscall its label implies (or burns CPU, for "busy"), and nothing outlives the
fixture once spawn_hang() exits.
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time

import pytest

from tests.support import (
    HANGS_DIR,
    SYSCALL_NAMES,
    FixtureNotReady,
    HungProcess,
    fixture_names,
    python_interpreters,
    read_ready,
    spawn_hang,
    thread_cpu_ticks,
    thread_syscalls,
    wait_blocked,
    wait_until,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux /proc"),
]

# expect label (README.md) -> syscalls a thread with that label may sit in
SYSCALLS_FOR = {
    "lock": {"futex"},
    "join": {"futex"},
    "queue-get": {"futex"},
    "pool-wait": {"futex"},
    "gil-wait": {"futex"},
    "idle": {"futex", "read"},  # an idle multiprocessing worker reads its task pipe
    "gil-holder": {"clock_nanosleep", "nanosleep"},
    "sleep": {"clock_nanosleep", "nanosleep", "select", "pselect6"},  # select before 3.11
    "socket-read": {"recvfrom", "recvmsg", "read"},
    "socket-accept": {"accept", "accept4"},
    "subprocess-wait": {"wait4", "waitid"},
    "pipe-read": {"read"},
    "flock": {"flock"},
}
KNOWN_ARCH = platform.machine() in SYSCALL_NAMES
ALL_FIXTURES = fixture_names()
INTERPRETERS = python_interpreters()
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"
OTHER_VERSIONS = [v for v in ("3.9", "3.10", "3.11", "3.12", "3.13") if v != RUNNING]
REPRESENTATIVE = ["deadlock_ab", "gil_held_ctypes", "fork_logging_lock"]


def _is_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def _check_threads(pid: int, threads: dict[str, int], expect: dict[str, str]) -> None:
    """Every expected thread exists, and ends up in the syscall its label implies."""
    live = thread_syscalls(pid)
    assert set(threads.values()) <= set(live), f"READY names tids not in /proc/{pid}/task"
    by_label: dict[str, list[int]] = {}
    for name, label in expect.items():
        by_label.setdefault(label, []).append(threads[name])
    busy = by_label.pop("busy", [])
    for label, tids in by_label.items():
        assert label in SYSCALLS_FOR, f"unknown expect label {label!r}"
        wait_blocked(pid, tids, syscalls=SYSCALLS_FOR[label] if KNOWN_ARCH else None)
    if busy:
        before = thread_cpu_ticks(pid)
        wait_until(
            lambda: all(thread_cpu_ticks(pid).get(t, 0) > before[t] + 5 for t in busy),
            what=f"busy threads {busy} of pid {pid} burning CPU",
        )
        states = thread_syscalls(pid)
        assert all(states.get(t) != "-1" for t in busy)


def _check_hang(hung: HungProcess) -> list[int]:
    """Check the whole process tree of a fixture; return every pid it involves."""
    info = hung.info
    assert info["pid"] == hung.pid
    assert info["threads"]["MainThread"] == hung.pid
    assert set(info["expect"]) <= set(info["threads"])
    _check_threads(hung.pid, info["threads"], info["expect"])
    pids = [hung.pid]
    for child in hung.children():
        _check_threads(child["pid"], child["threads"], child["expect"])
        pids.append(child["pid"])
    return pids


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_hangs_as_announced(name: str) -> None:
    with spawn_hang(name) as hung:
        assert hung.info["fixture"] == name
        assert hung.info["python"] == platform.python_version()
        pids = _check_hang(hung)
    wait_until(lambda: all(_is_gone(p) for p in pids), timeout=5, what=f"{name} processes {pids} gone")


@pytest.mark.parametrize("version", OTHER_VERSIONS)
@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_fixture_under_other_pythons(name: str, version: str) -> None:
    python = INTERPRETERS.get(version)
    if python is None:
        pytest.skip(f"no Python {version} installed")
    with spawn_hang(name, python=python) as hung:
        assert hung.info["python"].startswith(version + ".")
        pids = _check_hang(hung)
    wait_until(lambda: all(_is_gone(p) for p in pids), timeout=5, what=f"{name} processes {pids} gone")


@pytest.mark.parametrize("name", ["deadlock_ab", "idle_thread_pool", "mp_pool_wait"])
def test_corpus_options_rename_and_add_threads(name: str) -> None:
    with spawn_hang(name, args=["--extra-idle-threads", "3", "--name-suffix", "-v2"]) as hung:
        names = set(hung.info["threads"])
        assert {"idle-0-v2", "idle-1-v2", "idle-2-v2"} <= names
        assert all(n.endswith("-v2") or "-v2_" in n for n in names - {"MainThread"})
        assert hung.tid("idle-2") == hung.info["threads"]["idle-2-v2"]
        _check_hang(hung)


def test_deadlock_fixtures_describe_distinct_cycles() -> None:
    cycles = []
    for name in ("deadlock_ab", "deadlock_cycle3"):
        with spawn_hang(name) as hung:
            cycle = hung.info["deadlock"]
            waited = {edge["waits_for"] for edge in cycle}
            held = {lock for edge in cycle for lock in edge["holds"]}
            assert waited == held  # a closed cycle
            cycles.append(frozenset(edge["function"] for edge in cycle))
    assert cycles[0] != cycles[1]


def test_not_ready_reports_stderr() -> None:
    with (
        pytest.raises(FixtureNotReady, match="unrecognized arguments"),
        spawn_hang("busy_spin", args=["--no-such-option"], timeout=10),
    ):
        pass


def test_python_interpreters_includes_running_one() -> None:
    found = python_interpreters()
    assert found[RUNNING] == sys.executable
    assert all(os.access(path, os.X_OK) for path in found.values())
    assert all(tuple(int(x) for x in v.split(".")) >= (3, 9) for v in found)


# A stand-in for a test runner: starts the fixture, relays its READY line, then waits.
_RUNNER = """
import subprocess, sys
fixture = subprocess.Popen([sys.executable, sys.argv[1]], stdout=subprocess.PIPE, start_new_session=True)
sys.stdout.buffer.write(fixture.stdout.readline())
sys.stdout.flush()
fixture.wait()
"""


@pytest.mark.parametrize("name", ["fork_logging_lock", "mp_pool_wait", "subprocess_wait"])
def test_fixture_dies_with_its_runner(name: str) -> None:
    """PR_SET_PDEATHSIG: SIGKILL the runner, and the fixture and its children follow."""
    runner = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, str(HANGS_DIR / (name + ".py"))],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    info = None
    try:
        info, _ = read_ready(runner, time.monotonic() + 20)
        assert info is not None, f"no READY from {name}"
        pids = [info["pid"]] + [child["pid"] for child in info.get("children", [])]
        assert not any(_is_gone(p) for p in pids)
        runner.kill()
        runner.wait()
        wait_until(lambda: all(_is_gone(p) for p in pids), timeout=5, what=f"{name} {pids} gone")
    finally:
        runner.kill()
        runner.wait()
        if runner.stdout is not None:
            runner.stdout.close()
        if info is not None:  # the fixture has its own session: clean up if the test failed
            try:
                os.killpg(info["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


