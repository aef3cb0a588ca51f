"""The other party of a blocked fd, through the real capture path (py-spy): a pipe's writer, a lock's holder.

Each test runs small real Python programs (their own session, killed as a group afterwards), waits until the
target's main thread sits in the expected syscall, captures it with `collect` and checks `kernel.peer`.
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.hangs import kill_group
from forensics.model import KernelState
from tests.support import assert_left_running, read_ready, wait_blocked

pytestmark = pytest.mark.integration

PDEATHSIG = "import ctypes, signal; ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)\n"

# Blocks in os.read on a pipe whose write end only a child `sleep 3600` holds (or, with "self", only itself).
PIPE_READER = PDEATHSIG + """
import json, os, subprocess, sys
r, w = os.pipe()
child = None
if sys.argv[1] == "child":
    child = subprocess.Popen(["sleep", "3600"], pass_fds=(w,)).pid
    os.close(w)
print("READY " + json.dumps({"child": child}), flush=True)
os.read(r, 1)
"""

# Holds a lock on argv[2] (flock, or a POSIX lock through lockf) until killed.
LOCK_HOLDER = PDEATHSIG + """
import fcntl, os, sys, threading
fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX) if sys.argv[1] == "flock" else fcntl.lockf(fd, fcntl.LOCK_EX)
print("READY {}", flush=True)
threading.Event().wait()
"""

# Waits for the same lock: flock(2), or fcntl(2) F_SETLKW through lockf.
LOCK_WAITER = PDEATHSIG + """
import fcntl, os, sys
fd = os.open(sys.argv[2], os.O_RDWR)
print("READY {}", flush=True)
fcntl.flock(fd, fcntl.LOCK_EX) if sys.argv[1] == "flock" else fcntl.lockf(fd, fcntl.LOCK_EX)
"""


@contextlib.contextmanager
def program(source: str, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], dict]]:
    """Run `python -c source args`, wait for its READY line, kill its whole process group on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-c", source, *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        info, seen = read_ready(proc, time.monotonic() + 20)
        assert info is not None, (seen, proc.poll())
        yield proc, info
    finally:
        kill_group(proc)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def main_thread_kernel(pid: int, syscalls: set[str]):
    """Capture pid with py-spy once its main thread blocks in one of syscalls; its KernelState."""
    wait_blocked(pid, [pid], syscalls=syscalls)
    [outcome] = collect([pid], CollectOptions(method="py-spy"))
    assert outcome.error is None, outcome.error
    assert_left_running(pid)
    [main] = [t for t in outcome.capture.threads if t.tid == pid]
    assert main.kernel is not None and main.kernel.syscall.name in syscalls
    return main.kernel


def test_pipe_read_names_the_child_holding_the_write_end():
    with program(PIPE_READER, "child") as (proc, info):
        kernel = main_thread_kernel(proc.pid, {"read"})
        assert kernel.fd_target.startswith("pipe:[")
        assert kernel.peer == f"pid {info['child']} (sleep 3600)"


def test_pipe_read_whose_write_end_is_its_own_is_a_self_deadlock():
    with program(PIPE_READER, "self") as (proc, _):
        kernel = main_thread_kernel(proc.pid, {"read"})
        assert kernel.fd_target.startswith("pipe:[")
        assert kernel.peer == f"this process (pid {proc.pid})"


@pytest.mark.parametrize(("how", "syscall"), [("flock", "flock"), ("lockf", "fcntl")])
def test_lock_wait_names_the_holder(tmp_path, how, syscall):
    path = str(tmp_path / "app.lock")
    with program(LOCK_HOLDER, how, path) as (holder, _), program(LOCK_WAITER, how, path) as (waiter, _):
        kernel = main_thread_kernel(waiter.pid, {syscall})
        assert kernel.fd_target == path
        assert kernel.peer is not None and kernel.peer.startswith(f"pid {holder.pid} (")
        assert "-c" in kernel.peer and len(kernel.peer) <= len(f"pid {holder.pid} ()") + 60
        # the capture keeps the holder as plain text, and reads back the same
        stored = json.loads(json.dumps(kernel.to_dict()))
        assert (stored["fd_target"], stored["peer"]) == (path, kernel.peer)
        assert KernelState.from_dict(stored) == kernel
