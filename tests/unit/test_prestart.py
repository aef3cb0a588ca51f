"""The entry point's early py-spy start: what argv it trusts, and that a run is adopted only when it matches."""
from __future__ import annotations

import subprocess
import sys

import pytest

from forensics.capture import prestart
from forensics.capture.pyspy import PyspyRun, find_pyspy
from forensics.identity import identity, read_stat, tracer_pid


@pytest.mark.parametrize(
    ("argv", "pids"),
    [
        (["--pid", "12"], [12]),
        (["--pid=12", "--pid", "13", "--native", "--json", "--store", "/tmp/x"], [12, 13]),
        (["--pid", "12", "--method", "py-spy", "--timeout", "3"], [12]),
    ],
)
def test_plain_live_captures_are_recognised(argv, pids):
    parsed = prestart.parse_collect_argv(argv)
    assert parsed is not None and parsed[0] == pids


@pytest.mark.parametrize(
    "argv",
    [
        ["--pid", "12", "--method", "gdb"],  # another tool
        ["--core", "core.12"],  # not a live process
        ["--pid", "12", "--help"],
        ["--pid", "12", "--some-new-option", "7"],  # unknown: never guess what it means
        ["--pid", "twelve"],
        ["--pid"],
    ],
)
def test_anything_else_starts_nothing(argv):
    assert prestart.parse_collect_argv(argv) is None


@pytest.fixture
def target():
    """A live Python process to start py-spy against; every early run is aborted afterwards."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; print('ok', flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ok"
        yield proc
    finally:
        prestart.abort_all()
        proc.kill()
        proc.wait()


def test_a_started_run_is_adopted_once_and_only_by_the_same_argv_and_process(target):
    prestart.begin(["--pid", str(target.pid)])
    ident = identity(target.pid)
    binary = find_pyspy()
    other = PyspyRun.build_argv(binary, target.pid, native=True, with_locals=False)
    assert prestart.adopt(other, ident) is None  # --native was not asked for: not this run
    early = prestart.adopt(PyspyRun.build_argv(binary, target.pid, False, False), ident)
    assert early is not None
    assert prestart.adopt(PyspyRun.build_argv(binary, target.pid, False, False), ident) is None  # once
    result, _ = early.finish(10.0)
    assert result.returncode == 0 and b'"thread_name"' in result.stdout
    assert read_stat(target.pid).state not in ("T", "t") and tracer_pid(target.pid) == 0


def test_a_run_for_a_reused_pid_is_not_adopted(target):
    prestart.begin(["--pid", str(target.pid)])
    ident = identity(target.pid)
    reused = type(ident)(ident.pid, ident.start_ticks + 1)  # same pid, another process
    argv = PyspyRun.build_argv(find_pyspy(), target.pid, False, False)
    assert prestart.adopt(argv, reused) is None
    assert read_stat(target.pid).state not in ("T", "t")
