"""Who a pid is (pid + start time) and whether it is stopped or traced: what every signal and every
capture tool run is checked against. Deliberately tiny and free of heavy imports: it runs before
py-spy is started, on the critical path of `hangdump collect`."""
from __future__ import annotations

from forensics.errors import PermissionDenied, TargetNotFound
from forensics.procraw import proc_error, read_text
from forensics.records import tuple_type


class ProcessIdentity(tuple_type("ProcessIdentity", "pid start_ticks")):
    """A pid is only an identity together with its start time (clock ticks since boot): pids get reused.

    pid: int; start_ticks: int.
    """

    __slots__ = ()


class Stat(tuple_type("Stat", "comm state ppid utime_ticks stime_ticks num_threads start_ticks")):
    """The fields of /proc/PID/stat we use: comm: str, state: str, then ints."""

    __slots__ = ()


def parse_stat(text: str) -> Stat:
    """/proc/PID/stat; the comm field may hold spaces and parentheses, so split at the last ')'."""
    head, _, tail = text.rpartition(")")
    comm = head.partition("(")[2]
    f = tail.split()
    # tail fields start at field 3 (state); see proc(5)
    return Stat(
        comm=comm,
        state=f[0],
        ppid=int(f[1]),
        utime_ticks=int(f[11]),
        stime_ticks=int(f[12]),
        num_threads=int(f[17]),
        start_ticks=int(f[19]),
    )


def read_stat(pid: int, tid: int | None = None) -> Stat:
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        return parse_stat(read_text(path))
    except OSError as exc:
        raise proc_error(pid, exc) from None


def identity(pid: int) -> ProcessIdentity:
    return ProcessIdentity(pid=pid, start_ticks=read_stat(pid).start_ticks)


def same_process(ident: ProcessIdentity) -> bool:
    """True while the pid still names the process we identified (not exited, not reused)."""
    try:
        return read_stat(ident.pid).start_ticks == ident.start_ticks
    except (TargetNotFound, PermissionDenied):
        return False


def tracer_pid(pid: int) -> int:
    return tracer_pid_of(pid, pid)


def tracer_pid_of(pid: int, tid: int) -> int:
    """The tracer of one thread (strace -p and each gdb attach step trace threads one by one)."""
    try:
        text = read_text(f"/proc/{pid}/task/{tid}/status")
    except OSError as exc:
        raise proc_error(pid, exc) from None
    for line in text.splitlines():
        if line.startswith("TracerPid:"):
            return int(line.split()[1])
    return 0


def is_stopped(state: str | None) -> bool:
    """Stopped by a signal (T) or by a tracer (t)."""
    return state in ("T", "t")
