"""`hangdump collect` on real hung processes, with the real py-spy, through the real CLI."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.errors import TargetNotFound
from forensics.identity import read_stat, tracer_pid
from forensics.model import Capture
from tests.support import (
    HANGS_DIR,
    assert_left_running,
    python_interpreters,
    read_ready,
    spawn_hang,
    wait_blocked,
    wait_until,
)

pytestmark = pytest.mark.integration


def hangdump(*args: str, store: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run(
        [sys.executable, "-m", "forensics", *args], check=False, capture_output=True, text=True, env=env, timeout=timeout
    )


def capture_json(pid: int, store: Path, *extra: str) -> Capture:
    res = hangdump("collect", "--pid", str(pid), "--json", *extra, store=store)
    assert res.returncode == 0, res.stderr
    return Capture.from_json(res.stdout)


def line_of(fixture: str, needle: str) -> int:
    lines = (HANGS_DIR / f"{fixture}.py").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def thread(capture: Capture, name: str):
    return next(t for t in capture.threads if t.name == name)


def assert_one_line_error(res: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert res.returncode == code, (res.returncode, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_lock_order_deadlock(tmp_path):
    with spawn_hang("deadlock_ab") as hung:
        a, b = hung.tid("worker-a"), hung.tid("worker-b")
        wait_blocked(hung.pid, [a, b], syscalls={"futex"})
        c = capture_json(hung.pid, tmp_path, "--native")
        assert_left_running(hung.pid)
    wa, wb = thread(c, "worker-a"), thread(c, "worker-b")
    assert (wa.tid, wb.tid) == (a, b)
    top_a, top_b = wa.python_frames[0], wb.python_frames[0]
    assert top_a.function == "transfer_a_to_b"
    assert top_a.line == line_of("deadlock_ab", "with lock_b:  # blocks forever")
    assert top_b.function == "transfer_b_to_a"
    assert top_b.line == line_of("deadlock_ab", "with lock_a:  # blocks forever")
    for t in (wa, wb):
        assert t.kernel.syscall.name == "futex"
        assert t.kernel.state == "S"
        assert t.owns_gil is False and t.active is False
        assert t.frames[0].kind == "native"  # --native: the leaf is in libc/libpython
    # the interpreter the fixture was started with (spawn_hang runs sys.executable)
    assert c.process.python_version in (platform.python_version(), "{}.{}".format(*sys.version_info)), c.process
    assert c.process.rss > 0 and c.process.pss is not None and c.process.num_threads >= 3
    assert c.process.state == "S"
    assert c.options["native"] is True and c.errors == ()


def test_gil_held_in_c_call(tmp_path):
    with spawn_hang("gil_held_ctypes") as hung:
        holder = hung.tid("gil-holder")
        wait_blocked(hung.pid, [holder], syscalls={"clock_nanosleep", "nanosleep"})
        c = capture_json(hung.pid, tmp_path)
        assert_left_running(hung.pid)
    h = thread(c, "gil-holder")
    assert h.owns_gil is True
    assert c.gil_holder == h
    assert h.kernel.syscall.name in ("clock_nanosleep", "nanosleep")
    assert h.python_frames[0].function == "call_native_codec"
    crunchers = [t for t in c.threads if t.name and t.name.startswith("cruncher")]
    assert len(crunchers) == 2
    assert all(t.owns_gil is False for t in crunchers)
    assert all(any(f.function == "crunch_numbers" for f in t.python_frames) for t in crunchers)


def test_http_read_without_timeout(tmp_path):
    with spawn_hang("http_read_no_timeout") as hung:
        client = hung.tid("http-client")
        wait_blocked(hung.pid, [client], syscalls={"recvfrom", "read"})
        c = capture_json(hung.pid, tmp_path)
        assert_left_running(hung.pid)
    t = thread(c, "http-client")
    assert t.kernel.syscall.name in ("recvfrom", "read")
    assert t.kernel.fd_target.startswith("socket:[")
    assert t.kernel.peer == f"127.0.0.1:{hung.info['port']}"
    server = thread(c, "fake-upstream")
    assert server.kernel.syscall.name in ("accept", "accept4")
    assert server.kernel.local == f"127.0.0.1:{hung.info['port']}" and server.kernel.peer is None
    functions = [f.function for f in t.python_frames]
    assert any(f.endswith("readinto") for f in functions)
    assert "fetch_report" in functions


def test_queue_get_and_busy_loop(tmp_path):
    with spawn_hang("queue_get_dead_producer") as q, spawn_hang("busy_spin") as busy:
        wait_blocked(q.pid, [q.tid("consumer")], syscalls={"futex"})
        res = hangdump("collect", "--pid", str(q.pid), "--pid", str(busy.pid), "--json", store=tmp_path)
        assert res.returncode == 0, res.stderr
        assert_left_running(q.pid)
        assert_left_running(busy.pid)
    docs = json.loads(res.stdout)
    by_pid = {d["pid"]: Capture.from_dict(d) for d in docs}
    consumer = thread(by_pid[q.pid], "consumer")
    assert consumer.kernel.syscall.name == "futex"
    assert "consume_batches" in [f.function for f in consumer.python_frames]
    assert any(f.file and f.file.endswith("queue.py") for f in consumer.python_frames)
    spinner = thread(by_pid[busy.pid], "spinner")
    assert spinner.active is True
    assert {"recompute_checksums", "checksum"} <= {f.function for f in spinner.python_frames}
    assert len(list((tmp_path / "captures").glob("*.json"))) == 2


def test_summary_names_gil_owner_and_waits(tmp_path):
    with spawn_hang("gil_held_ctypes") as hung:
        wait_blocked(hung.pid, [hung.tid("gil-holder")], syscalls={"clock_nanosleep", "nanosleep"})
        res = hangdump("collect", "--pid", str(hung.pid), store=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"GIL held by thread {hung.tid('gil-holder')} gil-holder" in res.stdout
    assert "call_native_codec" in res.stdout
    stored = list((tmp_path / "captures").glob("*.json"))
    assert len(stored) == 1 and "stored" in res.stderr
    listed = hangdump("ls", "--json", store=tmp_path)
    assert json.loads(listed.stdout)[0]["pid"] == hung.pid
    shown = hangdump("show", stored[0].stem[-6:], store=tmp_path)
    assert shown.returncode == 0 and "call_native_codec" in shown.stdout and "Thread" in shown.stdout


def test_match_and_children_capture_the_tree_in_one_call(tmp_path):
    tag = f"-{os.getpid()}x{time.monotonic_ns()}"  # ours alone: other runs' fixtures on this machine must not match
    with spawn_hang("subprocess_wait", args=[f"--name-suffix={tag}"]) as hung:
        child = hung.info["child_pid"]
        wait_blocked(hung.pid, [hung.tid("migrator")], syscalls={"wait4"})
        res = hangdump(
            "collect", "--match", f"fixtures/hangs/subprocess_wait.py --name-suffix={tag}", "--children", "--json",
            store=tmp_path,
        )
        assert res.returncode == 0, res.stderr
    docs = json.loads(res.stdout)
    docs = docs if isinstance(docs, list) else [docs]
    pids = {d["pid"] for d in docs}
    assert {hung.pid, child} <= pids
    parent = Capture.from_dict(next(d for d in docs if d["pid"] == hung.pid))
    assert child in parent.process.children
    assert thread(parent, "migrator" + tag).kernel.syscall.name == "wait4"


def test_locals_are_redacted_by_default(tmp_path):
    code = (
        "import threading, sys\n"
        "def handler(api_token, user):\n"
        "    db_password = 'hunter2-secret'\n"
        "    retries = 3\n"
        "    print('READY', flush=True)\n"
        "    threading.Event().wait()\n"
        "handler('tok-123456', 'alice')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY"
        wait_blocked(proc.pid, [proc.pid], syscalls={"futex"})
        c = capture_json(proc.pid, tmp_path, "--locals")
        raw = hangdump("collect", "--pid", str(proc.pid), "--json", "--locals", "--no-redact", store=tmp_path)
    finally:
        proc.kill()
        proc.wait()
    frame = next(f for f in c.threads[0].frames if f.function == "handler")
    values = {v.name: v for v in frame.locals}
    assert values["db_password"].redacted and values["db_password"].repr is None
    assert values["api_token"].redacted and values["api_token"].is_arg
    assert values["retries"].repr == "3" and not values["retries"].redacted
    all_reprs = [v.repr or "" for t in c.threads for f in t.frames for v in f.locals or ()]
    assert not any("hunter2" in r or "tok-123456" in r for r in all_reprs)
    unredacted = Capture.from_json(raw.stdout)
    frame = next(f for f in unredacted.threads[0].frames if f.function == "handler")
    assert "hunter2-secret" in {v.name: v.repr for v in frame.locals}["db_password"]


@pytest.mark.parametrize("version", ["3.9", "3.12", "3.13"])
def test_other_cpython_versions(tmp_path, version):
    interp = python_interpreters().get(version)
    if interp is None:
        pytest.skip(f"CPython {version} not installed here")
    with spawn_hang("deadlock_ab", python=interp) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        c = capture_json(hung.pid, tmp_path)
        assert_left_running(hung.pid)
    assert c.process.python_version.startswith(version)
    assert thread(c, "worker-a").python_frames[0].function == "transfer_a_to_b"
    assert thread(c, "worker-b").python_frames[0].function == "transfer_b_to_a"


def test_library_api_matches_cli(tmp_path):
    with spawn_hang("join_stuck_thread") as hung:
        wait_blocked(hung.pid, [hung.tid("shutdown")], syscalls={"futex"})
        [outcome] = collect([hung.pid], CollectOptions())
    assert outcome.error is None
    names = {t.name for t in outcome.capture.threads}
    assert {"shutdown", "flusher"} <= names


# --- bad input: one line, non-zero exit, nothing stored, target left running -----------------------


def test_missing_pid(tmp_path):
    res = hangdump("collect", "--pid", "4194000", store=tmp_path)
    assert_one_line_error(res, 4, "no process with pid 4194000")
    assert not (tmp_path / "captures").exists() or not list((tmp_path / "captures").iterdir())


@pytest.mark.parametrize("method", ["py-spy", "auto", "gdb"])
def test_not_a_python_process(tmp_path, method):
    """auto must not fall back to a native-only gdb capture of something that is not Python at all, and gdb
    refuses it as py-spy does."""
    proc = subprocess.Popen(["sleep", "300"])
    try:
        res = hangdump("collect", "--pid", str(proc.pid), "--method", method, store=tmp_path)
        assert_left_running(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert_one_line_error(res, 5, "does not look like a CPython process")
    assert not list(tmp_path.glob("captures/*.json"))


def test_no_target_given(tmp_path):
    assert_one_line_error(hangdump("collect", store=tmp_path), 2, "nothing to capture")


def test_py_spy_missing(tmp_path):
    with spawn_hang("busy_spin") as hung:
        res = hangdump("collect", "--pid", str(hung.pid), "--py-spy", "/nonexistent/py-spy", store=tmp_path)
    assert_one_line_error(res, 7, "py-spy not found at /nonexistent/py-spy")


def while_attached(pid: int, store: Path, act, *extra: str, tries: int = 20) -> tuple[int, str]:
    """Run `collect --method py-spy --native` until py-spy is caught attached to pid, then act(tracer_pid).

    Returns the CLI's exit code and stderr. Fails if py-spy was never seen attached in `tries` runs.
    """
    for _ in range(tries):
        cli = subprocess.Popen(
            [sys.executable, "-m", "forensics", "collect", "--pid", str(pid), "--native", "--method", "py-spy", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, HANGDUMP_HOME=str(store)),
        )
        tracer = 0
        while cli.poll() is None and not tracer:
            try:
                tracer = tracer_pid(pid)
            except TargetNotFound:
                break
        if tracer:
            act(tracer)
        err = cli.communicate(timeout=30)[1]
        if tracer:
            return cli.returncode, err
    pytest.fail("py-spy never seen attached")


def test_hung_py_spy_times_out_and_target_runs_again(tmp_path):
    """py-spy stuck while it holds the target (we SIGSTOP the real py-spy once it is attached):
    the timeout kills it, and the target runs again, untraced."""
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "150"], canary=True) as hung:
        code, err = while_attached(hung.pid, tmp_path, lambda t: os.kill(t, signal.SIGSTOP), "--timeout", "2")
        assert_left_running(hung.pid)
    assert_one_line_error(subprocess.CompletedProcess([], code, "", err), 8, "did not finish within 2s")


def test_no_permission(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another user")
    with spawn_hang("deadlock_ab") as hung:
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.close(reader)
            try:
                os.setgid(65534)
                os.setuid(65534)
                [o] = collect([hung.pid], CollectOptions(method="py-spy"))
                msg = f"{type(o.error).__name__}:{o.error.exit_code}" if o.error else "captured"
            except BaseException as exc:  # noqa: BLE001 - report anything to the parent
                msg = f"crash:{exc!r}"
            os.write(writer, msg.encode())
            os._exit(0)
        os.close(writer)
        os.waitpid(child, 0)
        msg = os.read(reader, 4096).decode()
        os.close(reader)
        assert_left_running(hung.pid)
    assert msg == "PermissionDenied:6", msg


def test_py_spy_killed_mid_attach_leaves_target_running(tmp_path):
    """Kill py-spy while it has the target stopped: the target must run again, untraced, within 1 s, and the
    capture is still taken, without stopping the target (--nonblocking), saying so."""
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "150"], canary=True) as hung:
        code, err = while_attached(hung.pid, tmp_path, lambda t: os.kill(t, signal.SIGKILL), "--json")
        assert_left_running(hung.pid)
    assert code == 0 and not err.strip(), err
    [stored] = tmp_path.glob("captures/*.json")
    c = Capture.from_json(stored.read_text())
    assert c.options["nonblocking"] is True and any("retried with --nonblocking" in e for e in c.errors), c.errors


def test_stopped_target_is_captured_nonblocking_and_stays_as_it_was(tmp_path):
    with spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        os.kill(hung.pid, signal.SIGSTOP)
        wait_until(lambda: read_stat(hung.pid).state == "T", what="target stopped")
        try:
            c = capture_json(hung.pid, tmp_path, "--method", "py-spy")
            assert read_stat(hung.pid).state == "T" and tracer_pid(hung.pid) == 0
        finally:
            os.kill(hung.pid, signal.SIGCONT)
    assert c.options["nonblocking"] is True
    assert any("--nonblocking" in e for e in c.errors)
    assert c.process.state == "T"
    assert thread(c, "worker-a").python_frames[0].function == "transfer_a_to_b"


def test_target_exits_during_capture(tmp_path):
    """The target dies while py-spy holds it: one clear line, nothing stored.

    The target is killed the instant py-spy is seen attached. If py-spy had already read every stack by
    then, the capture it returns is whole and is stored (checked too), and the race is retried on a
    fresh target until the death mid-read is caught.
    """
    for attempt in range(5):
        store = tmp_path / str(attempt)
        with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "150"]) as hung:
            code, err = while_attached(hung.pid, store, lambda _, pgid=hung.proc.pid: os.killpg(pgid, signal.SIGKILL))
        stored = list(store.glob("captures/*.json"))
        if code == 0:  # py-spy was done reading before the kill: a whole capture, of the live process
            [doc] = stored
            capture = Capture.from_json(doc.read_text())
            assert len(capture.threads) >= 152 and not capture.errors
            continue
        assert_one_line_error(subprocess.CompletedProcess([], code, "", err), 4, "exited")
        assert not stored
        return
    pytest.fail("py-spy always finished before the target died")


def test_parallel_pool_capture(tmp_path):
    """Several hung processes in one call: one capture each, taken concurrently."""
    with spawn_hang("queue_get_dead_producer") as a, spawn_hang("join_stuck_thread") as b, \
            spawn_hang("deadlock_ab") as c:
        pids = [a.pid, b.pid, c.pid]
        started = time.monotonic()
        outcomes = collect(pids, CollectOptions(method="py-spy"))
        elapsed = time.monotonic() - started
        for p in pids:
            assert_left_running(p)
    assert [o.pid for o in outcomes] == pids
    assert all(o.capture is not None for o in outcomes), [o.error for o in outcomes]
    windows = [(o.capture.taken_at, o.capture.taken_at + o.capture.duration_s) for o in outcomes]
    latest_start = max(w[0] for w in windows)
    earliest_end = min(w[1] for w in windows)
    assert latest_start < earliest_end, f"captures ran one after another ({windows}, total {elapsed:.2f}s)"



# --- targets that cannot be stopped: say what is really wrong, read them without stopping them -------------

FAULTS = Path(__file__).resolve().parents[2] / "fixtures" / "faults"


def release(fifo: str) -> None:
    """Let dstate.py's vfork child go on (it is blocked opening the FIFO for reading): its thread leaves D."""
    os.close(os.open(fifo, os.O_WRONLY))


@pytest.mark.parametrize("method", ["auto", "py-spy", "gdb"])
def test_d_state_thread_is_named_and_read_without_stopping(tmp_path, method):
    """A thread in D (a real vfork wait) would hold a blocking capture until it wakes: say so, read nonblocking."""
    with spawn_hang("dstate", script=FAULTS / "dstate.py", canary=True) as hung:
        stuck = hung.tid("vforker")
        c = capture_json(hung.pid, tmp_path, "--method", method, "--native", "--timeout", "5")
        assert_left_running(hung.pid, allowed="RSD")
        assert read_stat(hung.pid, stuck).state == "D"
        release(hung.info["fifo"])
        wait_until(lambda: not os.path.exists(f"/proc/{hung.pid}/task/{stuck}"), what="vforker done")
        assert_left_running(hung.pid)
    assert c.options["nonblocking"] is True and c.method == "py-spy"
    [note] = [e for e in c.errors if "state D" in e]
    assert f"{stuck} in " in note and "--nonblocking" in note
    assert not [e for e in c.errors if "timeout" in e]
    assert next(t for t in c.threads if t.tid == stuck).kernel.state == "D"


@pytest.mark.parametrize("method", ["auto", "py-spy", "gdb"])
def test_target_traced_by_strace_names_the_tracer(tmp_path, method):
    with spawn_hang("deadlock_ab", canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a")], syscalls={"futex"})
        strace = subprocess.Popen(["strace", "-qq", "-o", os.devnull, "-p", str(hung.pid)], stderr=subprocess.PIPE)
        try:
            wait_until(lambda: tracer_pid(hung.pid) == strace.pid, what="strace attached")
            c = capture_json(hung.pid, tmp_path, "--method", method)
            assert tracer_pid(hung.pid) == strace.pid  # still strace's: we neither stole nor broke it
        finally:
            strace.terminate()
            strace.wait()
        assert_left_running(hung.pid)
    assert c.options["nonblocking"] is True
    [note] = [e for e in c.errors if "already traced" in e]
    assert f"pid {strace.pid} (strace" in note and "--nonblocking" in note
    assert thread(c, "worker-a").python_frames[0].function == "transfer_a_to_b"


@pytest.mark.parametrize("method", ["auto", "py-spy", "gdb"])
def test_zombie_is_called_a_zombie(tmp_path, method):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        wait_until(lambda: read_stat(child.pid).state == "Z", what="child exited, unreaped")
        res = hangdump("collect", "--pid", str(child.pid), "--method", method, store=tmp_path)
    finally:
        child.wait()
    assert_one_line_error(res, 4, "zombie", f"parent (pid {os.getpid()})")
    assert not list(tmp_path.glob("captures/*.json"))


def test_pid_1_is_never_stopped(tmp_path):
    """pid 1 is read without stopping it; a refusal names its real cause, never "run as root" to root."""
    res = hangdump("collect", "--pid", "1", "--json", "--no-store", store=tmp_path)
    if res.returncode == 0:
        c = Capture.from_json(res.stdout)
        assert c.options["nonblocking"] is True and any("pid 1 is init" in e for e in c.errors)
        return
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert res.returncode in (5, 6), res.stderr
    if res.returncode == 6 and os.geteuid() == 0:
        assert "capabilities this process lacks" in lines[0] or "security module" in lines[0], lines[0]


def test_ten_concurrent_collects_of_one_target_all_succeed(tmp_path):
    """Two tools cannot trace one thread at once: concurrent captures queue on the target's lock instead of
    failing with "not allowed"."""
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "20"], canary=True) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls={"futex"})
        env = dict(os.environ, HANGDUMP_HOME=str(tmp_path))
        clis = [subprocess.Popen([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--native"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
                for _ in range(10)]
        errors = [cli.communicate(timeout=120)[1] for cli in clis]
        assert [cli.returncode for cli in clis] == [0] * 10, errors
        assert_left_running(hung.pid)
    stored = [Capture.from_json(p.read_text()) for p in tmp_path.glob("captures/*.json")]
    assert len(stored) == 10
    for c in stored:  # each a blocking capture of its own, not a nonblocking fallback around the others
        assert c.options["nonblocking"] is False and not c.errors, c.errors
        assert thread(c, "worker-a").python_frames[0].function == "transfer_a_to_b"
    if os.geteuid() == 0:  # the last holder removed the lock file
        assert not [n for n in os.listdir("/run/hangdump") if n.startswith(f"{hung.pid}-")]


def test_a_pool_is_a_queue_of_py_spy_runs_width_at_a_time(tmp_path):
    """Many targets: a queue of py-spy runs, width (by default the usable cores) at a time, not all at once."""
    from forensics.capture import pyspy_live
    from forensics.capture.pyspy import find_pyspy

    log = tmp_path / "runs.log"
    wrapper = tmp_path / "py-spy"  # the real py-spy, each dump's start and end appended to the log
    wrapper.write_text(f"#!/bin/sh\n[ \"$1\" = dump ] && echo + >> {log}\n{find_pyspy()} \"$@\"\nrc=$?\n"
                       f"[ \"$1\" = dump ] && echo - >> {log}\nexit $rc\n")
    wrapper.chmod(0o755)
    width = 2
    with contextlib.ExitStack() as stack:
        hung = [stack.enter_context(spawn_hang("deadlock_ab")) for _ in range(5)]
        pids = [h.pid for h in hung]

        def settled(o) -> None:  # each outcome as soon as its run is done, while later runs go on
            with log.open("a") as fh:
                fh.write("s\n")

        outcomes = pyspy_live.collect(pids, CollectOptions(method="py-spy", pyspy_path=str(wrapper)), width=width,
                                      on_outcome=settled)
        for p in pids:
            assert_left_running(p)
    assert [o.pid for o in outcomes] == pids
    assert all(o.capture is not None for o in outcomes), [o.error for o in outcomes]
    marks = log.read_text().split()
    in_flight, most = 0, 0
    for mark in marks:
        in_flight += {"+": 1, "-": -1}.get(mark, 0)
        most = max(most, in_flight)
    assert in_flight == 0 and most == width
    assert marks.count("s") == len(pids) and marks.index("s") < len(marks) - 1 - marks[::-1].index("+")



def test_the_callers_own_work_runs_in_the_queues_waits_while_later_runs_go_on(tmp_path):
    """``meanwhile()`` is called whenever the queue would wait for a run, again as long as it returns True: the
    CLI makes each final capture's summary there. The last target's py-spy waits until two pieces of that work
    were done, so the test fails if the queue waits without calling it again."""
    from forensics.capture import pyspy_live
    from forensics.capture.pyspy import find_pyspy

    log = tmp_path / "runs.log"
    log.touch()
    with contextlib.ExitStack() as stack:
        hung = [stack.enter_context(spawn_hang("deadlock_ab")) for _ in range(4)]
        pids = [h.pid for h in hung]
        wrapper = tmp_path / "py-spy"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"case \" $* \" in *\" {pids[-1]} \"*) i=0; until [ $(grep -c m {log}) -ge 2 ] || [ $i -ge 800 ]; "
            "do i=$((i+1)); "
            "sleep 0.01; done;; esac\n"
            f"exec {find_pyspy()} \"$@\"\n")
        wrapper.chmod(0o755)
        final: list[int] = []
        made: list[int] = []

        def meanwhile() -> bool:
            if len(made) == len(final):
                return False
            made.append(final[len(made)])
            with log.open("a") as fh:
                fh.write("m\n")
            return True

        outcomes = pyspy_live.collect(pids, CollectOptions(method="py-spy", pyspy_path=str(wrapper)), width=2,
                                      meanwhile=meanwhile, on_outcome=lambda o: final.append(o.pid))
        for p in pids:
            assert_left_running(p)
    assert all(o.capture is not None for o in outcomes), [o.error for o in outcomes]
    assert len(made) >= 2 and made == final[:len(made)] and len(made) < len(pids)  # while the last one ran


# A pool: two forked workers, each blocked reading the task pipe whose write end only their parent holds.
POOL = """
import ctypes, json, os, signal, sys, time
ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
r, w = os.pipe()
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        os.close(w)
        os.read(r, 1)
        os._exit(0)
    kids.append(pid)
os.close(r)
print("READY " + json.dumps({"kids": kids}), flush=True)
time.sleep(3600)
"""


def test_a_pool_captured_in_one_call_names_each_workers_pipe_writer():
    """The peer scans (the parent's and siblings' fd tables) are shared by the captures of one call: each worker
    still names its own pipe's writer, as a capture of it alone would."""
    from forensics.hangs import kill_group

    proc = subprocess.Popen([sys.executable, "-c", POOL], stdout=subprocess.PIPE, start_new_session=True)
    try:
        info, seen = read_ready(proc, time.monotonic() + 30)
        assert info is not None, seen
        kids = info["kids"]
        for kid in kids:
            wait_blocked(kid, [kid], syscalls={"read"})
        outcomes = collect(kids, CollectOptions(method="py-spy"))
        alone = collect(kids[:1], CollectOptions(method="py-spy"))[0]
        for kid in kids:
            assert_left_running(kid)
    finally:
        kill_group(proc)
        proc.stdout.close()
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    def peer(o):
        return next(t for t in o.capture.threads if t.tid == o.pid).kernel.peer

    assert [peer(o) for o in outcomes] == [peer(alone)] * 2
    assert peer(alone).startswith(f"pid {proc.pid} (")  # the parent, not a sibling (they hold read ends only)
