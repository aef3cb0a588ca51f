"""Run a capture tool against a target and make sure the target is left running, whatever the tool does.

A ptrace-based tool that dies between attaching and detaching can leave the target in
group-stop (state ``T``, from the SIGSTOP it queued) once the kernel detaches it. We
record the target's state before, and afterwards resume it with SIGCONT if, and only if,
it was running before, no tracer remains, and it is still the same process (pid + start time).
"""
from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager

from forensics import identity as procid
from forensics import procraw
from forensics.capture import keeper
from forensics.errors import CaptureTimeout, PermissionDenied, TargetNotFound
from forensics.identity import ProcessIdentity, Stat
from forensics.records import tuple_type

SETTLE_S = 1.0


class ToolResult(tuple_type("ToolResult", "returncode stdout stderr elapsed_s")):
    """returncode: int, stdout: bytes, stderr: str, elapsed_s: float (a tuple type: cheap to define)."""

    __slots__ = ()


def _stat(ident: ProcessIdentity) -> Stat | None:
    try:
        st = procid.read_stat(ident.pid)
    except TargetNotFound:
        return None
    return st if st.start_ticks == ident.start_ticks else None


def _state(ident: ProcessIdentity) -> str | None:
    st = _stat(ident)
    return st.state if st else None


_SIGSTOP_BIT = 1 << 18  # SIGSTOP is 19 on every Linux architecture we run on


def _field(text: bytes, key: bytes) -> bytes:
    start = text.find(key)
    if start < 0:
        return b""
    start += len(key)
    return text[start:text.find(b"\n", start)].strip()


def _leftovers(pid: int) -> tuple[int, bool, dict[int, int]]:
    """(a tracer still attached to some thread or 0, whether some thread is stopped or has a SIGSTOP
    queued, tid -> context switches of every thread in state R).

    Per thread, not per process: when a tracer dies the kernel detaches the threads one by one, and a
    thread whose PTRACE_ATTACH SIGSTOP is still queued stops the whole group the moment it is let go,
    possibly after the main thread already looked fine.
    """
    tracer, stopped, running = 0, False, {}
    for tid in procraw.thread_ids(pid):
        try:
            text = procraw.read_record(f"/proc/{pid}/task/{tid}/status")
        except OSError:  # the thread just exited
            continue
        state = _field(text, b"\nState:")[:1]
        tracer = tracer or int(_field(text, b"\nTracerPid:") or 0)
        pending = int(_field(text, b"\nSigPnd:") or 0, 16) | int(_field(text, b"\nShdPnd:") or 0, 16)
        stopped = stopped or state in (b"T", b"t") or bool(pending & _SIGSTOP_BIT)
        if state == b"R":
            running[tid] = int(_field(text, b"\nvoluntary_ctxt_switches:") or 0) + int(
                _field(text, b"\nnonvoluntary_ctxt_switches:") or 0)
    return tracer, stopped, running


def _have_run(before: dict[int, int], now: dict[int, int]) -> bool:
    """Every thread that was runnable in the last pass has left R or been switched out since: it ran."""
    return all(tid not in now or now[tid] > switches for tid, switches in before.items())


def ensure_running(
    ident: ProcessIdentity, was_stopped: bool, suspect: bool = True, settle_s: float = SETTLE_S
) -> list[str]:
    """Wait (bounded) for tracers to go; SIGCONT a target we left stopped or about to stop. Returns notes.

    A tool that exited 0 detached every thread itself, after consuming their SIGSTOPs: one clean pass
    (every thread untraced, not stopped, no SIGSTOP queued) is enough. A suspect run (the tool failed,
    was killed, or we do not know) needs a second clean pass in which every thread that was runnable
    (R) in the first has run since: a thread a dying tracer held in signal-delivery-stop is woken (R)
    with that SIGSTOP still to act on, invisible in its pending sets, and stops the group the moment it
    runs. A stop seen is answered with SIGCONT, which also discards every queued stop, in every thread.
    """
    if was_stopped:
        return []
    deadline = time.monotonic() + settle_s
    notes: list[str] = []
    last: dict[int, int] | None = None  # the runnable threads of the last clean pass
    while True:
        try:
            if not procid.same_process(ident):
                return notes
            tracer, stopped, running = _leftovers(ident.pid)
        except (TargetNotFound, PermissionDenied):
            return notes
        if tracer == 0 and not stopped:
            if not suspect or (last is not None and _have_run(last, running)):
                return notes
            if last is None:
                last = running
            if not running:
                continue
            if time.monotonic() > deadline:
                return notes
            time.sleep(0.001)  # leave the CPU to the threads we wait to see run
            continue
        last = None
        if tracer == 0 and procid.same_process(ident):
            import signal

            os.kill(ident.pid, signal.SIGCONT)
            note = f"target {ident.pid} was left stopped by the capture tool; resumed it with SIGCONT"
            if note not in notes:
                notes.append(note)
        if time.monotonic() > deadline:
            if tracer:
                notes.append(f"target {ident.pid} still traced by pid {tracer} after the capture")
            return notes
        time.sleep(0.01)


def _wait_exit(pid: int, pidfd: int | None, timeout_s: float) -> int | None:
    """The child's exit code, or None if it is still running after timeout_s.

    The pidfd wakes us the moment the tool exits (Popen.wait(timeout) polls with sleeps of up to 50 ms).
    """
    if pidfd is None:  # kernel < 5.3: poll
        deadline = time.monotonic() + timeout_s
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)
    ready, _, _ = select.select([pidfd], [], [], timeout_s)
    if not ready:
        return None
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def usable_cores() -> int:
    """How many tool runs make progress at once: the CPUs this process may run on (its affinity mask)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _has_exited(pid: int) -> bool:
    """Whether child pid has exited, leaving it unreaped (WNOWAIT): finish() reaps it."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def wait_any(runs: list[ToolRun], timeout_s: float) -> list[ToolRun]:
    """Of runs not finished yet, those whose tool has exited, waiting up to timeout_s for the first one; [] when
    the time passed first."""
    fds = {r._pidfd: r for r in runs if r._pidfd is not None}
    if len(fds) == len(runs):
        ready, _, _ = select.select(list(fds), [], [], max(timeout_s, 0.0))
        return [fds[fd] for fd in ready]
    deadline = time.monotonic() + timeout_s  # kernel < 5.3, no pidfds: poll
    while True:
        done = [r for r in runs if _has_exited(r.pid)]
        if done or time.monotonic() >= deadline:
            return done
        time.sleep(0.005)


class ToolRun:
    """A capture tool started against a target. Output goes to memory files, so many runs can be in
    flight at once without anyone draining pipes; ``finish`` waits (bounded) and leaves the target running.

    ``before`` is the target's stat just before the tool started, and ``tasks`` (with
    ``snapshot=True``) the raw per-thread /proc files, read just before the tool starts (~40 us a thread).
    Read after it, they race the tool: on a loaded machine py-spy can attach, dump and let go before the
    read, and an interrupted sleep then shows as 'restart_syscall' (seen in CI).
    """

    def __init__(
        self, argv: list[str], ident: ProcessIdentity, env: dict | None = None, snapshot: bool = False
    ) -> None:
        self.argv = argv
        self.ident = ident
        self.before = _stat(ident)
        if self.before is None:
            raise TargetNotFound(f"no process with pid {ident.pid} (it exited or the pid was reused)")
        self.was_stopped = procid.is_stopped(self.before.state)
        self.tasks = procraw.snapshot_tasks(ident.pid) if snapshot else {}
        keeper.watch(ident.pid, ident.start_ticks, self.was_stopped)
        self.started_at = time.time()
        self.started = time.monotonic()
        self._out = os.memfd_create("hangdump-tool-stdout")
        self._err = os.memfd_create("hangdump-tool-stderr")
        self.returncode: int | None = None
        self._pidfd: int | None = None
        try:
            # posix_spawn, not subprocess: this runs before anything else is imported (see prestart.py)
            spawned = keeper.dying_with_us(argv)
            self.pid = os.posix_spawn(spawned[0], spawned, os.environ if env is None else env, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, self._out, 1),
                (os.POSIX_SPAWN_DUP2, self._err, 2),
            ])
        except OSError:
            self._close()
            keeper.release(ident.pid, ident.start_ticks)
            raise
        try:  # held until the tool is reaped: signals go to it, never to a recycled pid
            self._pidfd = os.pidfd_open(self.pid)
        except OSError:
            self._pidfd = None

    def _close(self) -> None:
        for fd in (self._out, self._err, self._pidfd):
            if fd is not None and fd >= 0:
                os.close(fd)
        self._out = self._err = -1
        self._pidfd = None

    @staticmethod
    def _read(fd: int) -> bytes:
        size = os.fstat(fd).st_size
        return os.pread(fd, size, 0) if size else b""

    def abort(self) -> None:
        """Kill the tool (if still running), reap it, and make sure the target runs again."""
        if self.returncode is None:
            import signal

            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        ensure_running(self.ident, self.was_stopped)
        keeper.release(self.ident.pid, self.ident.start_ticks)
        self._close()

    def finish(self, timeout_s: float) -> tuple[ToolResult, list[str]]:
        """Wait until ``timeout_s`` after the start; kill the tool past it. Raises CaptureTimeout after cleanup."""
        remaining = max(self.started + timeout_s - time.monotonic(), 0.0)
        try:
            self.returncode = _wait_exit(self.pid, self._pidfd, remaining)
        except BaseException:
            self.abort()
            raise
        if self.returncode is None:
            self.abort()
            name = os.path.basename(self.argv[0])
            raise CaptureTimeout(f"{name} did not finish within {timeout_s:g}s on pid {self.ident.pid}")
        notes = ensure_running(self.ident, self.was_stopped, suspect=self.returncode != 0)
        keeper.release(self.ident.pid, self.ident.start_ticks)
        result = ToolResult(
            self.returncode,
            self._read(self._out),
            self._read(self._err).decode("utf-8", "replace"),
            time.monotonic() - self.started,
        )
        self._close()
        return result, notes


@contextmanager
def target_guard(ident: ProcessIdentity, notes: list[str]) -> Iterator[None]:
    """For tools driven step by step (gdb over MI): whatever happens inside, leave the target as running as we found it."""
    was_stopped = procid.is_stopped(_state(ident))
    keeper.watch(ident.pid, ident.start_ticks, was_stopped)
    try:
        yield
    finally:
        notes.extend(ensure_running(ident, was_stopped))
        keeper.release(ident.pid, ident.start_ticks)
