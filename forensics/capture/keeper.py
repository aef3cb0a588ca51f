"""A child that outlives hangdump for one job: if hangdump dies mid-capture (SIGKILL, OOM), resume the targets.

The capture tools die with hangdump (PR_SET_PDEATHSIG, see ``dying_with_us``), but a tool's death is no
resumption: gdb's PTRACE_ATTACH queues a SIGSTOP on every thread, and a thread in uninterruptible sleep (D)
keeps it queued until it wakes, then stops the whole process, long after everyone is gone. Nothing in
the kernel sends the SIGCONT. So the first capture forks this keeper (a fork costs well under a
millisecond; it needs nothing not already imported). hangdump tells it over a pipe which targets a tool
is about to stop and when each was checked and released. When the pipe reaches EOF, hangdump is gone; the
keeper then runs guard.ensure_running on every target not released (which waits for the tools' tracing
to end and SIGCONTs a target left stopped or with a stop queued) and exits. It has its own session, so a
Ctrl-C or a hangup of hangdump's terminal does not reach it.

The keeper does not wake for each line (two per target: on a busy machine each wake-up could preempt the
capture): it sleeps until the pipe hangs up, and reads what is buffered every DRAIN_S meanwhile, so a
long call never fills the pipe.
"""
from __future__ import annotations

import os
import select

SETPRIV = ("/usr/bin/setpriv", "/bin/setpriv")  # util-linux: sets PR_SET_PDEATHSIG, then execs the tool
KEEPER_SETTLE_S = 10.0  # the tools die with us at once; a dying gdb may take a moment to let go
DRAIN_S = 0.1  # a pipe holds 64 KiB: thousands of lines, far more than a call writes in this time

_state: dict[str, int] = {}  # "pipe": our write end, "pid": the keeper, "for": the pid it watches for


def dying_with_us(argv: list[str]) -> list[str]:
    """argv run through setpriv --pdeathsig KILL: the tool is SIGKILLed when the thread that started it dies."""
    for path in SETPRIV:
        if os.access(path, os.X_OK):
            return [path, "--pdeathsig", "KILL", "--", *argv]
    return argv


def _pipe() -> int:
    if _state.get("for") != os.getpid():  # none yet, or we are a fork of the process that had one
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:
            try:
                _serve(read_end, write_end)
            finally:
                os._exit(0)
        os.close(read_end)
        _state.update(pipe=write_end, pid=child, **{"for": os.getpid()})
    return _state["pipe"]


def _send(line: str) -> None:
    try:
        os.write(_pipe(), line.encode())
    except OSError:  # the keeper is gone (killed): the guard in this process still does its part
        pass


def watch(pid: int, start_ticks: int, was_stopped: bool) -> None:
    """A tool is about to stop this target: resume it if we die before release()."""
    _send(f"+ {pid} {start_ticks} {int(was_stopped)}\n")


def release(pid: int, start_ticks: int) -> None:
    """This process checked and left the target running itself."""
    _send(f"- {pid} {start_ticks} 0\n")


def _serve(read_end: int, write_end: int) -> None:
    """The keeper's life: record watches and releases until EOF, then resume what is still watched."""
    from forensics.capture.guard import ensure_running
    from forensics.identity import ProcessIdentity

    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # Hold nothing of hangdump's open: a pipe someone waits to see closed, a store file, a tool's output.
    keep = sorted({0, 1, 2, read_end})
    for low, high in zip(keep, keep[1:] + [1 << 20], strict=False):
        os.closerange(low + 1, high)
    watched: dict[tuple[int, int], list[int]] = {}  # target -> [watch count, was it stopped]
    pending = b""
    os.set_blocking(read_end, False)
    hangup = select.poll()
    hangup.register(read_end, 0)  # no POLLIN: only POLLHUP (every writer gone) ends the sleep early
    gone = False
    while not gone:
        hangup.poll(DRAIN_S * 1000)
        while True:
            try:
                chunk = os.read(read_end, 65536)
            except BlockingIOError:  # all read, writers still there
                break
            if not chunk:  # EOF: hangdump is gone
                gone = True
                break
            pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            op, pid, start, stopped = line.split()
            key = (int(pid), int(start))
            entry = watched.setdefault(key, [0, int(stopped)])
            entry[0] += 1 if op == b"+" else -1
            if entry[0] <= 0:
                del watched[key]
    for (pid, start), (_count, stopped) in watched.items():
        ensure_running(ProcessIdentity(pid, start), bool(stopped), suspect=True, settle_s=KEEPER_SETTLE_S)
