"""Cores: kept compact in the store, analysed after the fact with --core, refused on low disk, checked against the exe."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from forensics import procfs
from forensics.capture import core as corefile
from forensics.capture import core_read, gdb_live, merge, orchestrate, pyspy
from forensics.capture import gdb as gdbmod
from forensics.capture.base import CollectOptions, new_capture_id
from forensics.capture.orchestrate import collect
from forensics.cli import main
from forensics.errors import CaptureFailed, GdbError, LowDiskSpace
from forensics.store.local import LocalStore
from tests.integration.test_gdb import (
    DEBIAN_311,
    GDB_PYTHON,
    by_tid,
    native_funcs,
    needs_debian,
    needs_gdb_python,
    py_funcs,
)
from tests.support import assert_left_running, python_interpreters, spawn_hang, wait_blocked, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb not installed"),
    needs_gdb_python,
]
KEEP = CollectOptions(method="gdb", keep_core=True)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """One deadlocked target captured live with --keep-core; yields (live capture, store, fixture info, rss)."""
    store = LocalStore(tmp_path_factory.mktemp("store"))
    with spawn_hang("deadlock_ab", python=GDB_PYTHON, args=["--extra-idle-threads", "20"]) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        with open(f"/proc/{hung.pid}/coredump_filter") as fh:
            filter_before = fh.read()
        cap = gdb_live.collect_gdb_one(hung.pid, KEEP, store)
        with open(f"/proc/{hung.pid}/coredump_filter") as fh:
            filter_after = fh.read()
        assert_left_running(hung.pid)
        rss = procfs.read_process_facts(hung.pid, 0).rss
        yield cap, store, hung.info, rss, (filter_before, filter_after)


def test_kept_core_is_compressed_and_small(kept):
    cap, store, _info, rss, (before, after) = kept
    assert before == after  # coredump_filter narrowed for the dump, then restored exactly
    core = cap.options["core"]
    assert core.endswith((".core.zst", ".core.gz")) and os.path.dirname(core) == str(store.cores_dir)
    on_disk = os.stat(core).st_blocks * 512
    assert on_disk <= 2 * rss, (on_disk, rss)
    assert store.core_of(cap.id) is not None
    assert not [n for n in os.listdir(store.cores_dir) if n.startswith(".tmp")]  # raw core removed


def test_core_analysis_matches_live_capture(kept):
    cap, _store, info, _rss, _ = kept
    post = orchestrate.collect_core(cap.options["core"], None, CollectOptions(method="gdb"))
    assert post.method == "core" and post.pid == info["pid"]
    assert post.process.exe == os.path.realpath(GDB_PYTHON)  # read from the core itself
    live, dead = by_tid(cap), by_tid(post)
    assert set(live) == set(dead)
    for name in ("worker-a", "worker-b", "MainThread"):
        tid = info["threads"][name]
        assert [(f.function, f.line) for f in live[tid].python_frames] == [
            (f.function, f.line) for f in dead[tid].python_frames
        ]
        assert dead[tid].lock_address == live[tid].lock_address
    assert "transfer_a_to_b" in py_funcs(dead[info["threads"]["worker-a"]])


def test_kept_core_threads_carry_the_syscalls_the_live_capture_read(kept):
    """A kept core read back has each thread's syscall from its registers: what /proc said during the capture."""
    cap, _store, info, _rss, _ = kept
    post = orchestrate.collect_core(cap.options["core"], None, CollectOptions(method="gdb"))
    assert post.options["kernel"] == "core registers"
    live, dead = by_tid(cap), by_tid(post)
    for name in ("worker-a", "worker-b"):  # the fixture waits until these two are blocked, not its main thread
        tid = info["threads"][name]
        assert dead[tid].kernel.syscall == live[tid].kernel.syscall, name  # number, name and the six arguments
        assert dead[tid].kernel.state is None and live[tid].kernel.state == "S"


def test_cli_core_round_trip(kept, tmp_path, capsys):
    cap, _store, info, _rss, _ = kept
    code = main(["collect", "--core", cap.options["core"], "--exe", GDB_PYTHON, "--json", "--store", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    assert doc["method"] == "core" and doc["pid"] == info["pid"]
    assert LocalStore(tmp_path).get(doc["id"]).pid == info["pid"]


def test_core_with_the_wrong_exe_is_refused(kept):
    cap, _store, _info, _rss, _ = kept
    others = [p for v, p in python_interpreters().items() if v != "3.11"] + ["/usr/bin/python3.11d"]
    other = next((p for p in others if os.path.isfile(p) and os.path.realpath(p) != os.path.realpath(GDB_PYTHON)), None)
    if other is None:
        pytest.skip("no second interpreter")
    with pytest.raises(GdbError, match="does not match") as err:
        orchestrate.collect_core(cap.options["core"], os.path.realpath(other), CollectOptions(method="gdb"))
    assert "--exe" in err.value.one_line()


def test_not_a_core_is_one_clear_error(tmp_path):
    bogus = tmp_path / "core.1"
    bogus.write_bytes(b"hello")
    with pytest.raises(CaptureFailed, match="not an ELF core"):
        orchestrate.collect_core(str(bogus), GDB_PYTHON, CollectOptions(method="gdb"))


def test_low_disk_refuses_before_attaching(tmp_path, monkeypatch):
    monkeypatch.setenv("HANGDUMP_MIN_FREE", "1000T")
    store = LocalStore(tmp_path)
    with spawn_hang("deadlock_ab", python=GDB_PYTHON) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        with pytest.raises(LowDiskSpace) as err:
            gdb_live.collect_gdb_one(hung.pid, KEEP, store)
        assert procfs.tracer_pid(hung.pid) == 0
        assert_left_running(hung.pid)
    assert "must stay free" in err.value.one_line()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_gdb_killed_while_dumping_keeps_nothing(tmp_path):
    store = LocalStore(tmp_path)
    with spawn_hang("deadlock_ab", python=GDB_PYTHON, args=["--extra-idle-threads", "20"]) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        result: dict = {}

        def run():
            try:
                result["capture"] = gdb_live.collect_gdb_one(hung.pid, KEEP, store)
            except CaptureFailed as exc:
                result["error"] = exc

        worker = threading.Thread(target=run)
        worker.start()
        raw = wait_until(lambda: next(iter(store.cores_dir.glob(".tmp-*/core.*")), None), timeout=20, interval=0.001,
                         what="the core being written")
        gdb_pid = procfs.tracer_pid(hung.pid) or wait_until(lambda: procfs.tracer_pid(hung.pid), timeout=5)
        os.kill(gdb_pid, signal.SIGKILL)
        assert_left_running(hung.pid)
        worker.join(timeout=20)
        assert "error" in result, result
        assert not raw.exists() and not store.core_paths()


def test_auto_falls_back_to_gdb_when_pyspy_fails(tmp_path):
    broken = tmp_path / "py-spy"
    broken.write_text("#!/bin/sh\necho 'Error: Failed to merge native and python frames' >&2\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    with spawn_hang("deadlock_ab", python=GDB_PYTHON) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        [o] = collect([hung.pid], CollectOptions(method="auto", pyspy_path=str(broken)))
        [strict] = collect([hung.pid], CollectOptions(method="py-spy", pyspy_path=str(broken)))
        assert_left_running(hung.pid)
    assert o.capture is not None, o.error
    assert o.capture.method == "gdb" and "py-spy failed" in o.capture.errors[0]
    assert "transfer_a_to_b" in py_funcs(by_tid(o.capture)[hung.tid("worker-a")])
    assert strict.error is not None  # method py-spy never falls back


def test_estimate_bounds_the_raw_core(tmp_path):
    """The disk check's estimate is an upper bound of what the dump really writes under the narrowed filter."""
    with spawn_hang("deadlock_ab", python=GDB_PYTHON) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        estimate = corefile.estimate_core_size(hung.pid)
        ident = procfs.identity(hung.pid)
        notes: list[str] = []
        raw = str(tmp_path / "core")
        with corefile.narrowed_filter(hung.pid, notes):
            gdbmod.attach_live(ident, GDB_PYTHON, gdb_live.libpython(hung.pid), gdbmod.GdbConfig(), core_out=raw)
        assert_left_running(hung.pid)
    assert 0 < os.stat(raw).st_blocks * 512 <= os.path.getsize(raw) <= estimate, (os.stat(raw), estimate)


def test_core_reads_through_pyspy_first(kept):
    """The default (auto) reads the core with py-spy on a compact copy: deadlock frames, names, no gdb."""
    cap, _store, info, _rss, _ = kept
    post = orchestrate.collect_core(cap.options["core"], None, CollectOptions())
    assert post.method == "core" and post.options["reader"] == "py-spy", post.options
    assert "py-spy" in post.tool_versions and "gdb" not in post.tool_versions and not post.errors, post.errors
    threads = by_tid(post)
    assert set(threads) == set(by_tid(cap))  # threads py-spy does not report (none here) are kept, frameless
    wa, wb = threads[info["threads"]["worker-a"]], threads[info["threads"]["worker-b"]]
    assert py_funcs(wa)[0] == "transfer_a_to_b" and py_funcs(wb)[0] == "transfer_b_to_a"
    assert (wa.name, wb.name) == ("worker-a", "worker-b")
    assert all(f.kind == "python" for t in post.threads for f in t.frames)
    live = by_tid(cap)
    for name in ("worker-a", "worker-b", "MainThread"):  # the same Python frames gdb saw live
        tid = info["threads"][name]
        assert [(f.function, f.line) for f in threads[tid].python_frames] == [
            (f.function, f.line) for f in live[tid].python_frames
        ]


def test_core_native_merges_gdb_frames(kept):
    cap, _store, info, _rss, _ = kept
    post = orchestrate.collect_core(cap.options["core"], None, CollectOptions(native=True))
    assert post.options["reader"] == "py-spy+gdb" and post.options["native"], post.options
    assert {"py-spy", "gdb"} <= set(post.tool_versions) and not post.errors, post.errors
    wa = by_tid(post)[info["threads"]["worker-a"]]
    assert wa.name == "worker-a" and py_funcs(wa)[0] == "transfer_a_to_b"
    first_py = next(i for i, f in enumerate(wa.frames) if f.kind == "python")
    assert first_py > 0 and any("futex" in f.function or "sem_" in f.function for f in wa.frames[:first_py])
    assert wa.lock_address is not None and wa.lock_address == by_tid(cap)[wa.tid].lock_address


def _shape(thread):
    """A stack's frames leaf first, comparable across readers: native frames by name, Python ones with their line."""
    return [(f.kind, f.function, f.line if f.kind == "python" else None) for f in thread.frames]


def test_core_native_splices_pyspy_frames_like_the_full_walk(kept):
    """--core --native walks native frames only and splices py-spy's Python frames in at the eval frames: every
    thread's stack is the one the full gdb walk (Python frames through py-bt) gives, frame for frame."""
    cap, _store, info, _rss, _ = kept
    spliced = orchestrate.collect_core(cap.options["core"], None, CollectOptions(native=True))
    full = orchestrate.collect_core(cap.options["core"], None, CollectOptions(method="gdb"))
    assert spliced.options["reader"] == "py-spy+gdb" and not spliced.errors, spliced.errors
    s, f = by_tid(spliced), by_tid(full)
    assert set(s) == set(f)
    for tid in s:
        assert _shape(s[tid]) == _shape(f[tid]), tid
    wa = s[info["threads"]["worker-a"]]
    shape = [fn for _k, fn, _l in _shape(wa)]
    acquire, caller = shape.index("lock_PyThread_acquire_lock"), shape.index("transfer_a_to_b")
    # the futex wait, the lock's C frames and the C call path up to the Python caller, then the Python frames
    assert acquire < caller and all(k == "native" for k, _f, _l in _shape(wa)[:caller]), shape
    assert "_PyEval_EvalFrameDefault" not in shape and any("futex" in fn for fn in shape[:acquire])
    assert [fn for k, fn, _l in _shape(wa) if k == "python"] == py_funcs(wa) and py_funcs(wa)[-1] == "Thread._bootstrap"


def test_splice_that_does_not_fit_walks_that_thread_in_full(kept):
    """py-spy's frames for one thread disagree with gdb's count (one frame short): that thread, and only it, is
    walked in full through py-bt, with a note; the others stay spliced."""
    cap, _store, info, _rss, _ = kept
    wa_tid = info["threads"]["worker-a"]
    with corefile.opened_core(cap.options["core"]) as raw:
        spy = core_read.pyspy_core(raw, CollectOptions(), {}, [])
        doctored = tuple(replace(t, frames=t.frames[:-1]) if t.tid == wa_tid else t for t in spy)
        stacks = gdbmod.open_core(raw, GDB_PYTHON, None, gdbmod.GdbConfig(), merge.spliced_walk(doctored))
    [note] = [n for n in stacks.notes if "did not fit" in n]
    assert f"thread(s) {wa_tid};" in note
    wa = next(t for t in stacks.threads if t.tid == wa_tid)
    assert [f.function for f in wa.python_frames] == [f.function for f in next(t for t in spy if t.tid == wa_tid).frames]
    assert "lock_PyThread_acquire_lock" in native_funcs(wa) and wa.name == "worker-a"


@pytest.fixture(scope="module")
def gil_core(tmp_path_factory):
    """A core of the GIL-holder fixture (one thread sleeps in C holding the GIL, two wait for it), with its tids."""
    raw = str(tmp_path_factory.mktemp("gil") / "core")
    with spawn_hang("gil_held_ctypes", python=GDB_PYTHON) as hung:
        tids = {n: hung.tid(n) for n in ("gil-holder", "cruncher-1", "cruncher-2")}
        wait_blocked(hung.pid, list(tids.values()))
        with corefile.narrowed_filter(hung.pid, []):
            gdbmod.attach_live(procfs.identity(hung.pid), GDB_PYTHON, gdb_live.libpython(hung.pid), gdbmod.GdbConfig(),
                               core_out=raw)
        assert_left_running(hung.pid)
    return raw, tids


def test_core_native_gil_holder_sleeps_in_c_under_its_python_frame(gil_core):
    raw, tids = gil_core
    post = orchestrate.collect_core(raw, None, CollectOptions(native=True))
    assert post.options["reader"] == "py-spy+gdb" and not post.errors, post.errors
    threads = by_tid(post)
    h = threads[tids["gil-holder"]]
    assert h.owns_gil is True and h.name == "gil-holder"
    first_py = next(i for i, f in enumerate(h.frames) if f.kind == "python")
    assert any("sleep" in f.function for f in h.frames[:first_py]), h.frames[:first_py]
    assert h.frames[first_py].function == "call_native_codec"
    assert not any(f.function == "_PyEval_EvalFrameDefault" for f in h.frames)  # every eval frame got its Python
    full = by_tid(orchestrate.collect_core(raw, None, CollectOptions(method="gdb")))
    for name in ("cruncher-1", "cruncher-2"):
        t = threads[tids[name]]
        assert t.owns_gil is False
        natives = native_funcs(t)
        assert "take_gil" in natives and "crunch_numbers" in py_funcs(t), natives
        assert _shape(t) == _shape(full[t.tid])
    assert _shape(h) == _shape(full[h.tid])


def test_default_filter_core_is_read_by_pyspy(tmp_path):
    """A by-hand core (coredump_filter 0x33: no file-backed mappings) still goes through py-spy: the compact
    copy takes those mappings from the files on disk."""
    with spawn_hang("deadlock_ab", python=GDB_PYTHON) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        raw = str(tmp_path / "core")
        notes: list[str] = []
        with corefile.narrowed_filter(hung.pid, notes, bits=0x33):
            gdbmod.attach_live(procfs.identity(hung.pid), GDB_PYTHON, gdb_live.libpython(hung.pid), gdbmod.GdbConfig(),
                               core_out=raw)
        tid = hung.tid("worker-a")
    raw_pyspy = subprocess.run([pyspy.find_pyspy(), "dump", "--core", raw], check=False, capture_output=True, text=True)
    assert raw_pyspy.returncode != 0  # py-spy alone cannot read it
    post = orchestrate.collect_core(raw, None, CollectOptions())
    assert post.options["reader"] == "py-spy" and py_funcs(by_tid(post)[tid])[0] == "transfer_a_to_b"


@needs_debian
def test_core_pyspy_cannot_read_goes_through_gdb(tmp_path):
    """The interpreter that dumped the core is gone (upgraded, container removed): py-spy needs its symbols
    from disk and fails; gdb reads the core with --exe pointing at a copy of the same build."""
    (tmp_path / "gone").mkdir()
    (tmp_path / "copy").mkdir()
    doomed = str(tmp_path / "gone" / "python3.11")
    shutil.copy2(DEBIAN_311, doomed)
    with spawn_hang("deadlock_ab", python=doomed) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        raw = str(tmp_path / "core")
        with corefile.narrowed_filter(hung.pid, []):
            gdbmod.attach_live(procfs.identity(hung.pid), doomed, None, gdbmod.GdbConfig(), core_out=raw)
        tid = hung.tid("worker-a")
    os.unlink(doomed)
    copy = shutil.copy2(DEBIAN_311, str(tmp_path / "copy" / "python3.11"))
    post = orchestrate.collect_core(raw, copy, CollectOptions())
    assert post.options["reader"] == "gdb", post.options
    assert post.errors[0].startswith("py-spy could not read the core"), post.errors
    wa = by_tid(post)[tid]
    assert py_funcs(wa)[0] == "transfer_a_to_b" and native_funcs(wa)
    with pytest.raises(CaptureFailed, match="py-spy could not read the core"):
        orchestrate.collect_core(raw, copy, CollectOptions(method="py-spy"))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def test_cli_core_carries_native_frames_by_default_and_gets_the_gil_verdict(gil_core, tmp_path, capsys):
    """`collect --core` without --native: the GIL holder's C call and the waiters' take_gil are in the capture, and
    the verdict is the live one's (the holder blamed in its Python frame, the waiters waiting for the GIL)."""
    from forensics.analysis import analyze
    from forensics.model import Capture

    raw, tids = gil_core
    assert main(["collect", "--core", raw, "--json", "--no-store", "--store", str(tmp_path)]) == 0
    cap = Capture.from_json(capsys.readouterr().out)
    assert cap.options["native"] is True
    top = analyze(cap).verdicts[0]
    assert top.kind == "gil" and top.roles[0].tid == tids["gil-holder"], top.text
    assert top.roles[0].function == "call_native_codec"
    assert {r.tid for r in top.roles[1:]} >= {tids["cruncher-1"], tids["cruncher-2"]}


def test_killed_keep_core_leaves_no_raw_core_behind(tmp_path):
    """hangdump SIGKILLed while the core is written: what it left in cores/.tmp-* counts against the budget
    while it exists, is removed by the next --keep-core run, and kept cores are readable by their owner only."""
    store = LocalStore(tmp_path)
    with spawn_hang("deadlock_ab", python=GDB_PYTHON, args=["--extra-idle-threads", "20"], canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        cli = subprocess.Popen([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--keep-core",
                                "--store", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            raw = wait_until(lambda: next(iter(store.cores_dir.glob(".tmp-*/core.*")), None), timeout=30,
                             interval=0.001, what="the core being written")
            wait_until(lambda: raw.stat().st_size > 0, timeout=30, interval=0.001, what="the core written to")
        finally:
            cli.kill()
            cli.wait()
        assert_left_running(hung.pid)
        assert raw.exists() and corefile.workdirs_bytes(str(store.cores_dir)) > 0
        older = store.cores_dir / f"{new_capture_id(0.0, 'h', 1)}.core.zst"
        older.write_bytes(b"x" * 4096)
        # within budget alone; with the raw core counted, over it: the oldest kept core goes
        assert store.prune_cores(budget=older.stat().st_blocks * 512 + 4096, max_age_s=1e12) == [older]
        cap = gdb_live.collect_gdb_one(hung.pid, KEEP, store)
        assert_left_running(hung.pid)
    assert not raw.exists() and not list(store.cores_dir.glob(".tmp-*"))
    assert stat.S_IMODE(os.stat(cap.options["core"]).st_mode) == 0o600


@contextlib.contextmanager
def _limited_dir(path, size: int) -> Iterator[bool]:
    """path on a filesystem of ``size`` bytes (a tmpfs mounted for the test) when we may mount one; yields whether."""
    path.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], check=False, capture_output=True
    ).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=True)


@contextlib.contextmanager
def _peak_disk(path) -> Iterator[list[int]]:
    """The most disk the files under path took at any sample (every 2 ms) while the block ran."""
    peak, done = [0], threading.Event()

    def sample():
        while not done.wait(0.002):
            used = 0
            for d, _dirs, files in os.walk(path):
                for f in files:
                    with contextlib.suppress(OSError):
                        used += os.lstat(os.path.join(d, f)).st_blocks * 512
            peak[0] = max(peak[0], used)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


SLOW_WALK = 600.0  # gdb walks 200 threads in seconds, in tens of them on a loaded machine: this test is about disk


def test_keep_core_of_200_threads_never_takes_more_disk_than_twice_its_rss(tmp_path, monkeypatch):
    """A plain gcore of a 200-thread worker writes every thread's 8 MiB stack and each malloc reserve (gigabytes)
    before compressing them away. The kept core is made on a filesystem of twice the target's RSS (and the disk it
    takes sampled throughout): it fits, holds every thread, and opens in gdb with their stacks."""
    monkeypatch.setenv("HANGDUMP_MIN_FREE", "0")
    with spawn_hang("deadlock_ab", python=GDB_PYTHON, args=["--extra-idle-threads", "197"]) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        rss = procfs.read_process_facts(hung.pid, 0).rss
        with open(f"/proc/{hung.pid}/maps") as fh:
            mapped = sum(int(hi, 16) - int(lo, 16) for lo, hi in (line.split()[0].split("-") for line in fh))
        assert mapped > 20 * rss  # about what a plain gcore writes (gdb 13 dumps PROT_NONE reserves too)
        root = tmp_path / "limited"
        with _limited_dir(root, 2 * rss) as limited:
            with _peak_disk(root) as peak:
                cap = gdb_live.collect_gdb_one(hung.pid, replace(KEEP, timeout_s=SLOW_WALK), LocalStore(root))
            assert_left_running(hung.pid)
            post = orchestrate.collect_core(cap.options["core"], GDB_PYTHON,
                                            CollectOptions(method="gdb", timeout_s=SLOW_WALK))
    tids = {t.tid for t in cap.threads}
    assert len(tids) == 200 and peak[0] <= 2 * rss, (peak[0], rss, limited)
    assert post.options["reader"] == "gdb" and not post.errors, post.errors
    threads = by_tid(post)
    assert set(threads) == tids and all(py_funcs(t) for t in threads.values())
    assert py_funcs(threads[hung.tid("worker-a")])[0] == "transfer_a_to_b"
    assert "lock_PyThread_acquire_lock" in native_funcs(threads[hung.tid("worker-a")])


def test_keep_core_over_the_budget_is_refused_before_it_is_written(tmp_path):
    with spawn_hang("deadlock_ab", python=GDB_PYTHON, args=["--extra-idle-threads", "20"]) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        env = dict(os.environ, HANGDUMP_CORE_BUDGET="1M")
        cli = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--method", "gdb",
                              "--keep-core", "--store", str(tmp_path)], check=False, env=env, capture_output=True, text=True)
        assert_left_running(hung.pid)
    assert cli.returncode == LowDiskSpace.exit_code, cli.stderr
    assert "more than the 1.0 MiB kept cores may take" in cli.stderr and "Traceback" not in cli.stderr
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and "core" in p.name]


def test_a_core_sink_never_writes_past_its_limit(tmp_path):
    """zstd, gzip and the sparse raw file alike: the write that would pass the limit fails, unmade."""
    noise = os.urandom(3 << 20)  # incompressible: every byte reaches the disk
    for name in ("core.zst", "core.gz", "core"):
        sink = corefile.CoreSink.to(str(tmp_path / name), limit=1 << 20)
        with pytest.raises(LowDiskSpace, match="would take over 1.0 MiB"):
            for i in range(0, len(noise), 1 << 16):
                sink.write(noise[i : i + (1 << 16)])
            sink.close()
        sink.abort()
        assert os.path.getsize(tmp_path / name) <= 1 << 20, name


def _counting_gdb(tmp_path) -> tuple[str, str]:
    """A gdb that appends a line to a log at every run, then is the real gdb (the log tells how many ran)."""
    log = tmp_path / "gdb-runs"
    wrapper = tmp_path / "gdb"
    wrapper.write_text(f"#!/bin/sh\necho run >> {log}\nexec {shutil.which('gdb')} \"$@\"\n")
    wrapper.chmod(0o755)
    return str(wrapper), str(log)


def test_entry_point_core_capture_starts_gdb_once_and_matches_the_in_process_one(gil_core, tmp_path):
    """`hangdump collect --core` from the entry point starts gdb before the CLI's imports and the backend adopts that
    very gdb: one gdb run, and the capture's stacks are those of the orchestrator called in this process."""
    raw, tids = gil_core
    gdb, log = _counting_gdb(tmp_path)
    env = dict(os.environ, HANGDUMP_GDB=gdb, HANGDUMP_HOME=str(tmp_path / "home"))
    out = subprocess.run([sys.executable, "-m", "forensics", "collect", "--core", raw, "--json", "--no-store"],
                         capture_output=True, text=True, env=env, check=False, timeout=120)
    assert out.returncode == 0, out.stderr
    with open(log) as fh:
        assert fh.read().splitlines() == ["run"]
    from forensics.model import Capture

    cli = by_tid(Capture.from_json(out.stdout))
    here = by_tid(orchestrate.collect_core(raw, None, CollectOptions(native=True)))
    assert set(cli) == set(here) >= set(tids.values())
    for tid, t in here.items():
        assert _shape(cli[tid]) == _shape(t) and cli[tid].owns_gil == t.owns_gil, tid


def test_a_prestarted_gdb_not_adopted_is_killed(gil_core, tmp_path, monkeypatch):
    """A gdb started for other commands than the backend's (another --exe here) is killed, and the backend runs its
    own; the one started for the backend's very commands is the one it walks with."""
    from forensics.capture import gdb_prestart

    raw, _tids = gil_core
    monkeypatch.setenv("HANGDUMP_HOME", str(tmp_path))
    alias = tmp_path / "python"
    alias.symlink_to(os.path.realpath(GDB_PYTHON))
    gdb_prestart.begin(["--core", raw, "--exe", str(alias)])
    stale = gdb_prestart._STATE["mi"]
    post = orchestrate.collect_core(raw, None, CollectOptions(native=True))  # the core's own exe, not the alias
    assert stale.proc.returncode is not None and not gdb_prestart._STATE
    assert post.options["reader"] == "py-spy+gdb" and not post.errors, post.errors
    gdb_prestart.begin(["--core", raw])
    ours = gdb_prestart._STATE["mi"]
    again = orchestrate.collect_core(raw, None, CollectOptions(native=True))
    assert ours.killed and not gdb_prestart._STATE  # adopted, walked, then done with
    assert ours.proc.wait(timeout=30) is not None
    assert {t.tid: _shape(t) for t in again.threads} == {t.tid: _shape(t) for t in post.threads}
