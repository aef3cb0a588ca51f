"""The entry point's early py-spy start: what argv it trusts, and that a run is adopted only when it matches."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from forensics.capture import prestart
from forensics.capture.guard import usable_cores, wait_any
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


@pytest.fixture
def pool(tmp_path):
    """One more live Python process than there are usable cores, and a directory of modules never imported yet."""
    procs = [subprocess.Popen([sys.executable, "-c", "import time; print('ok', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True) for _ in range(usable_cores() + 1)]
    sys.path.insert(0, str(tmp_path))
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ok"
        yield procs, tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        prestart.abort_all()
        for p in procs:
            p.kill()
            p.wait()


def _import_new(where, name: str) -> None:
    (where / f"{name}.py").write_text("")
    importlib.import_module(name)


def _argv(pid: int) -> list[str]:
    return PyspyRun.build_argv(find_pyspy(), pid, False, False)


def test_more_targets_than_cores_start_as_earlier_runs_end_at_each_import(pool):
    procs, where = pool
    prestart.begin([a for p in procs for a in ("--pid", str(p.pid))])
    first, last = procs[:-1], procs[-1]
    assert not prestart._RUNS.get(tuple(_argv(last.pid)))  # one run per core to begin with
    for p in first:  # each early run's tool ends (py-spy exits once it has dumped)
        run = prestart._RUNS[tuple(_argv(p.pid))]
        assert wait_any([run], 30.0) == [run]
    _import_new(where, "prestart_probe_a")  # the CLI's next import starts the last target's run
    run = prestart.adopt(_argv(last.pid), identity(last.pid))
    assert run is not None
    result, _ = run.finish(30.0)
    assert result.returncode == 0 and b'"thread_name"' in result.stdout
    assert read_stat(last.pid).state not in ("T", "t") and tracer_pid(last.pid) == 0


def test_once_a_run_is_adopted_the_queue_starts_the_rest(pool):
    procs, where = pool
    prestart.begin([a for p in procs for a in ("--pid", str(p.pid))])
    early = prestart.adopt(_argv(procs[0].pid), identity(procs[0].pid))
    assert early is not None
    early.finish(30.0)
    for p in procs[1:-1]:
        run = prestart._RUNS[tuple(_argv(p.pid))]
        assert wait_any([run], 30.0) == [run]
    _import_new(where, "prestart_probe_b")
    assert prestart.adopt(_argv(procs[-1].pid), identity(procs[-1].pid)) is None  # handed over: never started here


def test_a_refill_that_fails_unexpectedly_fails_no_import_and_stops_the_early_starts(pool, monkeypatch):
    procs, where = pool
    prestart.begin([a for p in procs for a in ("--pid", str(p.pid))])

    def broken() -> None:  # a mock: a bug in the early start, which no real target produces
        raise ValueError("unexpected")

    monkeypatch.setattr(prestart, "refill", broken)
    _import_new(where, "prestart_probe_c")  # the import itself succeeds
    monkeypatch.undo()
    for p in procs[:-1]:
        run = prestart._RUNS[tuple(_argv(p.pid))]
        assert wait_any([run], 30.0) == [run]
    _import_new(where, "prestart_probe_d")
    assert prestart.adopt(_argv(procs[-1].pid), identity(procs[-1].pid)) is None  # no more early starts
