"""A core capture's kernel state comes from its threads' registers (NT_PRSTATUS): the syscall each thread was in
when `gcore` dumped it, the same one a live capture of the process read from /proc just before."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from forensics.analysis import analyze
from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.cli import main
from forensics.model import Capture
from tests.integration.test_gdb import GDB_PYTHON, by_tid, needs_gdb_python
from tests.support import assert_left_running, wait_blocked

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("gcore") is None, reason="gcore (gdb) not installed"),
    needs_gdb_python,
]

# Two workers deadlocked on two locks taken in opposite orders, a reader blocked in recv() on a socketpair nobody
# writes to, a thread spinning in a loop, the main thread joining them; one line of JSON says the tids once every thread is where it hangs.
PROGRAM = textwrap.dedent("""
    import json, socket, sys, threading

    first, second = threading.Lock(), threading.Lock()
    both = threading.Barrier(2)
    tids = {}

    def take(a, b):
        tids[threading.current_thread().name] = threading.get_native_id()
        with a:
            both.wait()
            with b:
                pass

    def read(sock):
        tids["reader"] = threading.get_native_id()
        sock.recv(1024)

    def spin():
        tids["spinner"] = threading.get_native_id()
        n = 0
        while n >= 0:
            n += 1

    left, right = socket.socketpair()
    threads = [threading.Thread(target=take, args=(first, second), name="settle"),
               threading.Thread(target=take, args=(second, first), name="reconcile"),
               threading.Thread(target=read, args=(left,), name="reader"),
               threading.Thread(target=spin, name="spinner", daemon=True)]
    for t in threads:
        t.start()
    while len(tids) < 4:
        pass
    tids["MainThread"] = threading.get_native_id()
    print(json.dumps(tids), flush=True)
    for t in threads:
        t.join()
""")


@pytest.fixture(scope="module")
def hung(tmp_path_factory):
    """(live capture, path of a gcore of the same process taken right after it, tids by thread name)."""
    work = tmp_path_factory.mktemp("corekernel")
    proc = subprocess.Popen([GDB_PYTHON, "-c", PROGRAM], stdout=subprocess.PIPE, text=True)
    try:
        tids = json.loads(proc.stdout.readline())
        wait_blocked(proc.pid, [tids["settle"], tids["reconcile"], tids["MainThread"]], syscalls={"futex"})
        wait_blocked(proc.pid, [tids["reader"]], syscalls={"recvfrom", "read"})
        [outcome] = collect([proc.pid], CollectOptions())
        assert outcome.error is None, outcome.error
        subprocess.run(["gcore", "-o", str(work / "core"), str(proc.pid)], check=True, capture_output=True, timeout=120)
        assert_left_running(proc.pid)
        yield outcome.capture, str(work / f"core.{proc.pid}"), tids
    finally:
        proc.kill()
        proc.wait()


def _core_capture(raw: str, tmp_path, capsys, *options: str) -> Capture:
    assert main(["collect", "--core", raw, "--json", "--no-store", "--store", str(tmp_path), *options]) == 0
    return Capture.from_json(capsys.readouterr().out)


def _verdicts(capture: Capture) -> list[tuple[str, tuple[int | None, ...]]]:
    return [(v.kind, tuple(r.tid for r in v.roles)) for v in analyze(capture).verdicts]


def test_core_threads_name_the_syscall_the_live_capture_saw(hung, tmp_path, capsys):
    live, raw, tids = hung
    core = _core_capture(raw, tmp_path, capsys)
    assert core.options["kernel"] == "core registers"
    before, after = by_tid(live), by_tid(core)
    assert set(tids.values()) <= set(after)
    for name in ("settle", "reconcile", "reader", "MainThread"):
        seen, dead = before[tids[name]].kernel.syscall, after[tids[name]].kernel
        assert dead.state is None and dead.running is None and dead.wchan is None  # no scheduler state in a core
        assert dead.syscall is not None and dead.syscall.name == seen.name, (name, dead, seen)
        assert len(dead.syscall.args) == 6
    assert after[tids["spinner"]].kernel.syscall is None and after[tids["spinner"]].kernel.running is True  # user code
    assert before[tids["settle"]].kernel.syscall.name == "futex"
    assert after[tids["reader"]].kernel.syscall.name in ("recvfrom", "read")
    # the futex word is the lock's: each worker waits on the lock the other holds, so the two words differ
    assert after[tids["settle"]].kernel.syscall.args[0] != after[tids["reconcile"]].kernel.syscall.args[0]
    assert after[tids["settle"]].kernel.syscall.args[0] == before[tids["settle"]].kernel.syscall.args[0]


def test_core_verdicts_match_the_live_ones(hung, tmp_path, capsys):
    """A core reaches the live capture's verdicts, kind and threads: the reader blocked in recv with no timeout, the
    two lock waiters, the spinner (in no syscall: running its own code), the join. From Python frames and the registers' syscalls alone (--no-native; with no kernel
    state all four were 'unknown'), and with native frames (a core's default)."""
    live, raw, _tids = hung
    seen = _verdicts(live)
    assert {"io", "lock", "busy"} <= {kind for kind, _roles in seen}, seen  # evidence, not "unknown"
    assert _verdicts(_core_capture(raw, tmp_path, capsys, "--no-native")) == seen
    assert _verdicts(_core_capture(raw, tmp_path, capsys)) == seen


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
