"""The gdb backend on real hung processes: frames, GIL, locks, agreement with py-spy, and safety when gdb dies."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from forensics import identity, procfs, procraw
from forensics.capture import gdb as gdbmod
from forensics.capture import gdb_live
from forensics.capture.base import CollectOptions
from forensics.capture.guard import target_guard
from forensics.capture.orchestrate import collect
from forensics.errors import CaptureFailed, CaptureTimeout, GdbError, ToolMissing
from tests.support import (
    assert_left_running,
    python_interpreters,
    spawn_hang,
    stop_pending,
    wait_blocked,
    wait_until,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb not installed"),
]

PYENV_311 = python_interpreters().get("3.11")
PYENV_311 = os.path.realpath(PYENV_311) if PYENV_311 and "/.pyenv/" in os.path.realpath(PYENV_311) else None
DEBIAN_311 = "/usr/bin/python3.11"
needs_pyenv = pytest.mark.skipif(
    PYENV_311 is None or not os.path.isfile(PYENV_311 + "-gdb.py"), reason="no pyenv CPython 3.11 with its gdb extension"
)
needs_debian = pytest.mark.skipif(
    not os.path.isfile(DEBIAN_311) or gdbmod.find_extension(DEBIAN_311) is None,
    reason="needs /usr/bin/python3.11 and python3.11-dbg",
)
GDB = CollectOptions(method="gdb")
# Every interpreter gdb can decode here: pyenv's 3.11 and Debian's with python3.11-dbg (what setup.sh installs).
PYENV_OK = PYENV_311 is not None and os.path.isfile(PYENV_311 + "-gdb.py")
DEBIAN_OK = os.path.isfile(DEBIAN_311) and gdbmod.find_extension(DEBIAN_311) is not None
GDB_PYTHONS = [pytest.param(p, id=i) for p, i, ok in ((PYENV_311, "pyenv-3.11", PYENV_OK),
                                                      (DEBIAN_311, "debian-3.11", DEBIAN_OK)) if ok] or [
    pytest.param(None, marks=pytest.mark.skip(reason="no CPython 3.11 gdb can decode (python3.11-dbg)"), id="none")]
# One interpreter for the tests that need only one: pyenv's, else Debian's (a plain Debian 12 with setup.sh).
GDB_PYTHON = PYENV_311 if PYENV_OK else DEBIAN_311 if DEBIAN_OK else None
needs_gdb_python = pytest.mark.skipif(GDB_PYTHON is None, reason="no CPython 3.11 gdb can decode (python3.11-dbg)")


def by_tid(capture):
    return {t.tid: t for t in capture.threads}


def py_funcs(thread):
    return [f.function for f in thread.python_frames]


def native_funcs(thread):
    return [f.function for f in thread.frames if f.kind == "native"]


def deadlock(python):
    return spawn_hang("deadlock_ab", python=python)


@pytest.mark.parametrize("python", [
    pytest.param(PYENV_311, marks=needs_pyenv, id="pyenv-3.11"),
    pytest.param(DEBIAN_311, marks=needs_debian, id="debian-3.11"),
])
def test_deadlock_frames_and_locks(python):
    with deadlock(python) as hung:
        a, b = hung.tid("worker-a"), hung.tid("worker-b")
        wait_blocked(hung.pid, [a, b], syscalls={"futex"})
        cap = gdb_live.collect_gdb_one(hung.pid, GDB)
        assert_left_running(hung.pid)
    assert cap.method == "gdb" and not cap.errors, cap.errors
    threads = by_tid(cap)
    wa, wb = threads[a], threads[b]
    # leaf first: the innermost Python frame is the function holding one lock and waiting for the other
    assert py_funcs(wa)[0] == "transfer_a_to_b" and py_funcs(wb)[0] == "transfer_b_to_a"
    assert wa.python_frames[0].file.endswith("deadlock_ab.py") and wa.python_frames[0].line
    # native frames with symbols, below (leafward of) the Python frame that called into the lock
    natives = native_funcs(wa)
    assert "lock_PyThread_acquire_lock" in natives or "acquire_timed" in natives, natives
    first_py = next(i for i, f in enumerate(wa.frames) if f.kind == "python")
    assert any("futex" in f.function or "sem_" in f.function for f in wa.frames[:first_py])
    # each waits on a different lock object (lock_b vs lock_a)
    assert wa.lock_address and wb.lock_address and wa.lock_address != wb.lock_address
    assert wa.kernel is not None and wa.kernel.syscall is not None and wa.kernel.syscall.name == "futex"
    assert cap.gil_holder is None or cap.gil_holder.tid not in (a, b)


@needs_pyenv
def test_gil_holder_sleeps_in_c_and_waiters_take_gil():
    with spawn_hang("gil_held_ctypes", python=PYENV_311) as hung:
        holder = hung.tid("gil-holder")
        crunchers = [hung.tid("cruncher-1"), hung.tid("cruncher-2")]
        wait_blocked(hung.pid, [holder, *crunchers])
        cap = gdb_live.collect_gdb_one(hung.pid, GDB)
        assert_left_running(hung.pid)
    threads = by_tid(cap)
    h = threads[holder]
    assert h.owns_gil is True
    assert cap.gil_holder.tid == holder
    first_py = next(i for i, f in enumerate(h.frames) if f.kind == "python")
    leaf_natives = [f.function for f in h.frames[:first_py]]
    assert any("sleep" in fn for fn in leaf_natives), leaf_natives
    assert h.python_frames[0].function == "call_native_codec"
    for tid in crunchers:
        t = threads[tid]
        assert t.owns_gil is False
        assert "take_gil" in native_funcs(t), native_funcs(t)
        assert "crunch_numbers" in py_funcs(t)


@needs_pyenv
def test_pyspy_and_gdb_agree_on_python_frames():
    with deadlock(PYENV_311) as hung:
        tids = [hung.tid("worker-a"), hung.tid("worker-b"), hung.tid("MainThread")]
        wait_blocked(hung.pid, tids, syscalls={"futex"})
        [spy] = collect([hung.pid], CollectOptions(method="py-spy"))
        g = gdb_live.collect_gdb_one(hung.pid, GDB)
        [both] = collect([hung.pid], CollectOptions(method="auto", deep=True))
    assert spy.capture is not None, spy.error
    s, d = by_tid(spy.capture), by_tid(g)
    for tid in tids:
        spy_frames = [(f.function, f.line) for f in s[tid].python_frames]
        gdb_frames = [(f.function, f.line) for f in d[tid].python_frames]
        assert spy_frames == gdb_frames, (tid, spy_frames, gdb_frames)
    merged = by_tid(both.capture)
    assert both.capture.options.get("deep") is True
    a = merged[tids[0]]
    assert a.name == "worker-a"  # py-spy's thread name
    assert a.lock_address == d[tids[0]].lock_address  # gdb's lock
    assert "lock_PyThread_acquire_lock" in native_funcs(a)
    # --deep splices py-spy's Python frames into gdb's native-only walk: the full walk's stacks, frame for frame
    assert not [e for e in both.capture.errors if "did not fit" in e], both.capture.errors
    for tid in tids:
        shape = [(f.kind, f.function, f.line if f.kind == "python" else None) for f in merged[tid].frames]
        assert shape == [(f.kind, f.function, f.line if f.kind == "python" else None) for f in d[tid].frames], tid


PYENV_VERSIONS = ("3.9", "3.10", "3.11", "3.12", "3.13")


def _with_extension(version: str) -> str | None:
    """The installed CPython ``version`` (pyenv, or this interpreter), if gdb can decode its frames."""
    python = python_interpreters().get(version)
    if python is None or gdbmod.find_extension(os.path.realpath(python)) is None:
        return None
    return python


@pytest.fixture(scope="module", params=PYENV_VERSIONS)
def subprocess_wait_both(request):
    """subprocess_wait on one CPython, captured by py-spy, by gdb, and by both (--deep):
    (migrator tid, main tid, py-spy's, gdb's, --deep's)."""
    python = _with_extension(request.param)
    if python is None:
        pytest.skip(f"no CPython {request.param} with its gdb extension")
    with spawn_hang("subprocess_wait", python=python) as hung:
        migrator, main = hung.tid("migrator"), hung.tid("MainThread")
        wait_blocked(hung.pid, [migrator, main], syscalls={"wait4", "futex"})
        [spy] = collect([hung.pid], CollectOptions(method="py-spy"))
        g = gdb_live.collect_gdb_one(hung.pid, GDB)
        [both] = collect([hung.pid], CollectOptions(method="auto", deep=True))
        assert_left_running(hung.pid)
    assert spy.capture is not None, spy.error
    assert both.capture is not None, both.error
    return migrator, main, spy.capture, g, both.capture


def test_gdb_has_pyspys_python_frames_on_every_version(subprocess_wait_both):
    """Every Python frame, outer app frames included, as py-spy has them (function, file, line).

    3.11+ run nested Python calls in one eval-loop C frame, linked by ``previous``; 3.12 and 3.13 mark
    where each loop's frames end with an entry shim (owner FRAME_OWNED_BY_CSTACK) instead of 3.11's
    ``is_entry``. The gdb walk used to stop after the first frame there: Popen._try_wait, then natives.
    """
    migrator, main, spy, g, _deep = subprocess_wait_both
    assert not g.errors, g.errors
    s, d = by_tid(spy), by_tid(g)

    def frames(thread):
        return [(f.function, os.path.basename(f.file or ""), f.line) for f in thread.python_frames]

    for tid in (migrator, main):
        assert frames(d[tid]) == frames(s[tid]), (tid, frames(d[tid]), frames(s[tid]))
    funcs = py_funcs(d[migrator])  # leaf first; 3.11+ qualify the names (Popen._try_wait)
    assert funcs[0].endswith("_try_wait") and funcs[-1].endswith("_bootstrap"), funcs
    assert "run_migration" in funcs, funcs
    assert [fn for fn in py_funcs(d[main]) if fn in ("supervise", "main")] == ["supervise", "main"]
    # Python frames sit where their eval loop is: below every native frame of the wait, above the thread start
    kinds = [f.kind for f in d[migrator].frames]
    first_py, last_py = kinds.index("python"), len(kinds) - 1 - kinds[::-1].index("python")
    assert "native" in kinds[:first_py] and "native" in kinds[last_py:]


def test_gdb_names_threads_as_python_does(subprocess_wait_both):
    """threading's names (py-spy's), not the process's comm (python3.12) gdb knows each thread by."""
    migrator, main, spy, g, _deep = subprocess_wait_both
    s, d = by_tid(spy), by_tid(g)
    assert d[main].name == s[main].name == "MainThread"
    assert d[migrator].name == s[migrator].name and d[migrator].name.startswith("migrator")


def test_deep_splice_fits_on_every_version(subprocess_wait_both):
    """--deep: py-spy's Python frames spliced into gdb's native-only walk, which counts them per eval frame
    from the frame links alone (3.12+: up to the entry shim; <= 3.10: one each, even with ``f`` optimized
    out). They fit every thread, and give the full walk's stacks frame for frame."""
    migrator, main, _spy, g, both = subprocess_wait_both
    assert not [e for e in both.errors if "did not fit" in e], both.errors
    d, merged = by_tid(g), by_tid(both)
    for tid in (migrator, main):
        shape = [(f.kind, f.function, f.line if f.kind == "python" else None) for f in merged[tid].frames]
        assert shape == [(f.kind, f.function, f.line if f.kind == "python" else None) for f in d[tid].frames], tid


def _gdb_child(parent: int) -> int | None:
    for tid in os.listdir(f"/proc/{parent}/task"):
        try:
            with open(f"/proc/{parent}/task/{tid}/children") as fh:
                kids = [int(k) for k in fh.read().split()]
        except OSError:
            continue
        for k in kids:
            try:
                with open(f"/proc/{k}/comm") as fh:
                    if fh.read().strip() == "gdb":
                        return k
            except OSError:
                continue
    return None


def _kill_mid_attach(parent: int, target: int, tid: int | None = None) -> bool:
    """Freeze gdb the instant it traces thread ``tid`` (one it attaches late, while earlier attaches' stops
    are still being taken), then SIGKILL it. Returns whether a SIGSTOP was in flight at that moment: the
    case where, unguarded, the kernel's detach leaves the target in state T."""
    gdb_pid = wait_until(lambda: _gdb_child(parent), timeout=20, interval=0.001, what="gdb started")
    wait_until(lambda: identity.tracer_pid_of(target, tid or target) == gdb_pid, timeout=20, interval=0.0002,
               what="gdb attached")
    os.kill(gdb_pid, signal.SIGSTOP)
    dangerous = stop_pending(target) or _ptrace_stopped(target)
    os.kill(gdb_pid, signal.SIGKILL)
    return dangerous


def _ptrace_stopped(pid: int) -> bool:
    """Some thread held in a ptrace stop: after gdb's attach that is the signal-delivery-stop of its SIGSTOP,
    which, if gdb dies before resuming it with no signal, the thread acts on once let go (state T)."""
    return any(identity.read_stat(pid, tid).state == "t" for tid in procraw.thread_ids(pid))


@pytest.mark.parametrize("python", GDB_PYTHONS)
def test_gdb_killed_mid_attach_leaves_target_running(python):
    """gdb SIGKILLed mid-attach, several times: the capture fails with one clear error and the target runs within 1 s.

    50 idle threads make gdb's thread-by-thread attach long enough to catch a SIGSTOP in flight, which
    (checked by hand without the guard) leaves the target stopped in 4 runs out of 5. A run counts only when
    the guard found the target stopped and had to resume it (its note says so): a SIGSTOP seen in flight is
    not enough, since the dying tracer's detach sometimes consumes it. Retried until one run counted.
    """
    notes: list[str] = []
    with spawn_hang("deadlock_ab", python=python, args=["--extra-idle-threads", "50"], canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        ident = procfs.identity(hung.pid)
        for _ in range(30):
            result: dict = {}

            def run(result=result):
                try:
                    with target_guard(ident, notes):
                        gdbmod.attach_live(ident, python, gdb_live.libpython(hung.pid), gdbmod.GdbConfig(timeout_s=60))
                except (CaptureFailed, CaptureTimeout) as exc:
                    result["error"] = exc

            worker = threading.Thread(target=run)
            worker.start()
            _kill_mid_attach(os.getpid(), hung.pid, hung.tid("idle-25"))
            worker.join(timeout=30)
            assert_left_running(hung.pid)
            assert isinstance(result.get("error"), CaptureFailed), result
            assert "gdb was killed" in str(result["error"])
            if any("resumed it with SIGCONT" in n for n in notes):
                break
        # still the hung program, and capturable again
        again = gdb_live.collect_gdb_one(hung.pid, GDB)
        assert "transfer_a_to_b" in py_funcs(by_tid(again)[hung.tid("worker-a")])
    assert any("resumed it with SIGCONT" in n for n in notes), (
        f"the guard never found the target stopped in 30 runs; the resume path was not exercised: {notes}")


@pytest.mark.parametrize("python", GDB_PYTHONS)
def test_cli_gdb_killed_mid_attach(tmp_path, python):
    """End to end: the CLI's gdb dies mid-attach; one error line, non-zero exit, target running within 1 s.
    Retried until gdb is caught with a SIGSTOP in flight (the case that needs the resume)."""
    with spawn_hang("deadlock_ab", python=python, args=["--extra-idle-threads", "50"], canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        for _ in range(30):
            cli = subprocess.Popen(
                [sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--method", "gdb",
                 "--store", str(tmp_path)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            try:
                dangerous = _kill_mid_attach(cli.pid, hung.pid, hung.tid("idle-25"))
                _out, err = cli.communicate(timeout=60)
            finally:
                if cli.poll() is None:
                    cli.kill()
                    cli.wait()
            assert_left_running(hung.pid)
            assert cli.returncode != 0
            lines = [ln for ln in err.splitlines() if ln.strip()]
            assert len(lines) == 1 and lines[0].startswith("hangdump: error:") and "gdb" in lines[0], err
            assert not list(tmp_path.rglob("*.json"))
            if dangerous:
                return
    pytest.fail("never caught gdb with a SIGSTOP in flight in 30 runs; the resume path was not exercised")


@pytest.mark.parametrize("python", GDB_PYTHONS)
def test_gdb_timeout_resumes_target(python):
    """gdb stuck while it holds the target (frozen once attached): the session's deadline kills it, and the
    guard resumes the target its attach SIGSTOPs would otherwise leave in state T. Frozen before its attach had
    stopped a thread (a loaded machine), gdb leaves nothing to resume: that attempt does not count, and the
    test tries again until the guard has had a stopped target to resume."""
    with spawn_hang("deadlock_ab", python=python, args=["--extra-idle-threads", "20"], canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        ident = procfs.identity(hung.pid)
        notes: list[str] = []
        for _attempt in range(10):
            result: dict = {}

            def run(result=result):
                try:
                    with target_guard(ident, notes):
                        gdbmod.attach_live(ident, python, gdb_live.libpython(hung.pid), gdbmod.GdbConfig(timeout_s=3))
                except CaptureTimeout as exc:
                    result["error"] = exc

            worker = threading.Thread(target=run)
            worker.start()
            gdb_pid = wait_until(lambda: _gdb_child(os.getpid()), timeout=20, interval=0.001, what="gdb started")
            # attached, or already killed at its 3 s deadline before it could attach (a loaded machine)
            wait_until(lambda g=gdb_pid, w=worker: procfs.tracer_pid(hung.pid) == g or not w.is_alive(),
                       timeout=60, interval=0.0005, what="gdb attached")
            if worker.is_alive():
                os.kill(gdb_pid, signal.SIGSTOP)
            worker.join(timeout=30)
            assert "error" in result, result
            assert_left_running(hung.pid)
            if notes:
                break
    assert any("resumed it with SIGCONT" in n for n in notes), notes


def test_gdb_death_is_seen_even_when_a_child_of_gdb_holds_its_output(tmp_path):
    """gdb killed mid-attach can leave the stopped child it forks to probe ptrace features, which holds gdb's
    stdout open: no EOF ever comes. Here a real child of gdb does the same (a shell gdb starts, in its process
    group); the session must still notice gdb's death at once, and clean up the group."""
    marker = tmp_path / "child.pid"
    mi = gdbmod.MISession(shutil.which("gdb"), time.monotonic() + 60, [f"shell sleep 3600 & echo $! > {marker}"])
    try:
        child = int(wait_until(lambda: marker.exists() and marker.read_text().strip(), what="gdb's child"))
        os.kill(mi.pid, signal.SIGKILL)
        with pytest.raises(CaptureFailed, match="gdb was killed by signal 9"):  # not CaptureTimeout in 60 s
            mi.command("-gdb-version")
    finally:
        mi.kill()
    wait_until(lambda: not os.path.exists(f"/proc/{child}") or procfs.read_stat(child).state == "Z",
               what="gdb's child killed with its group")


def test_missing_gdb_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("HANGDUMP_GDB", raising=False)
    with pytest.raises(ToolMissing) as err:
        gdb_live.collect_gdb_one(os.getpid(), GDB)
    assert "apt-get install gdb" in err.value.one_line()


@needs_pyenv
def test_broken_extension_degrades_to_native_frames(tmp_path):
    empty = tmp_path / "python3.11-gdb.py"
    empty.write_text("# not an extension\n")
    with deadlock(PYENV_311) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        cap = gdb_live.collect_gdb_one(hung.pid, CollectOptions(method="gdb", gdb_ext=str(empty)))
        with pytest.raises(GdbError, match="does not exist"):
            gdb_live.collect_gdb_one(hung.pid, CollectOptions(method="gdb", gdb_ext=str(tmp_path / "nope.py")))
        assert_left_running(hung.pid)
    t = by_tid(cap)[hung.tid("worker-a")]
    assert not t.python_frames and "lock_PyThread_acquire_lock" in native_funcs(t)
    assert any("python3.11-dbg" in e for e in cap.errors), cap.errors


@needs_debian
def test_interpreter_without_debug_info_says_install_dbg():
    """Debian's python3.11 with its debug info hidden from gdb: native frames and the fix in one line."""
    with deadlock(DEBIAN_311) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        ident = procfs.identity(hung.pid)
        notes: list[str] = []
        cfg = gdbmod.GdbConfig(timeout_s=30, init_commands=["set debug-file-directory /nonexistent"])
        with target_guard(ident, notes):
            stacks = gdbmod.attach_live(ident, DEBIAN_311, None, cfg)
        assert_left_running(hung.pid)
    t = next(s for s in stacks.threads if s.tid == hung.tid("worker-a"))
    assert not t.python_frames and t.frames
    assert any("unable to read python frame information" in n and "python3.11-dbg" in n for n in stacks.notes), stacks.notes


def test_cli_gdb_honours_timeout(tmp_path):
    """--timeout bounds gdb too: a gdb frozen once it is attached is killed after 2 s (it used to get 30), the
    target runs again, and the error says the tool did not answer in time."""
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "20"], canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        cli = subprocess.Popen(
            [sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--method", "gdb",
             "--timeout", "2", "--store", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            gdb_pid = wait_until(lambda: _gdb_child(cli.pid), timeout=20, interval=0.001, what="gdb started")
            wait_until(lambda: procfs.tracer_pid(hung.pid) == gdb_pid, timeout=20, interval=0.001,
                       what="gdb attached")
            os.kill(gdb_pid, signal.SIGSTOP)
            _out, err = cli.communicate(timeout=20)  # far below the old 30 s
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
        assert_left_running(hung.pid)
    assert cli.returncode == 8, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "in time" in lines[0], err
