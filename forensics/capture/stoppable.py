"""Whether a target may be stopped for a blocking capture, and if not, what really stands in the way.

A blocking py-spy dump and gdb both stop every thread with ptrace. That cannot work, or must not be
tried, when: the process is a zombie (nothing left to read); another tracer (strace, gdb) holds one of
its threads (a second PTRACE_ATTACH fails with EPERM, which tools report as "permission denied");
a thread sits in uninterruptible sleep, state D (the stop is queued until the kernel wakes it, so the
tool waits that long, and the queued stop fires later); or the target is pid 1, ourselves or one of our
ancestors (stopping them can wedge the machine or hangdump itself). py-spy's --nonblocking read needs no
stop at all, so it is the fallback for all but the zombie. Read from /proc only; cheap enough for the
critical path (the per-thread files come from the snapshot taken just before the tool starts).
"""
from __future__ import annotations

import os

from forensics import procraw
from forensics.errors import PermissionDenied, TargetGone, TargetNotFound
from forensics.identity import ProcessIdentity, Stat, read_stat


def _field(text: str, key: str) -> str:
    start = text.find("\n" + key + ":")
    if start < 0:
        return ""
    start += len(key) + 2
    end = text.find("\n", start)
    return text[start:end if end >= 0 else None].strip()


def _ancestors(pid: int) -> set[int]:
    out: set[int] = set()
    while pid > 1 and pid not in out:
        out.add(pid)
        try:
            pid = read_stat(pid).ppid
        except (TargetNotFound, PermissionDenied):  # an ancestor exiting meanwhile ends the walk
            break
    return out


_OURS: dict[int, set[int]] = {}  # our pid -> ourselves and our ancestors


def _ourselves_and_ancestors() -> set[int]:
    """Walked once per process (a pool asks for every target): ancestors only ever leave the set by dying,
    and an orphan is adopted by one that is in it already (a subreaper or init), so it never misses one."""
    me = os.getpid()  # a fork (the keeper) walks its own
    found = _OURS.get(me)
    if found is None:
        found = _OURS[me] = _ancestors(me)
    return found


def never_stop(pid: int) -> str | None:
    """Why this pid must never be stopped, whatever its threads do (None: it may be)."""
    if pid == 1:
        return "pid 1 is init: hangdump never stops it"
    if pid in _ourselves_and_ancestors():
        return f"pid {pid} is hangdump itself or one of its ancestors: stopping it could wedge the capture"
    return None


def check_not_zombie(ident: ProcessIdentity, stat: Stat) -> None:
    if stat.state in ("Z", "X"):
        raise TargetGone(
            f"pid {ident.pid} is a zombie: it has exited and its parent (pid {stat.ppid}) has not reaped it",
            help="nothing is left to capture; look at the parent, which should wait() for it",
        )


def obstacles(pid: int, tasks: dict[int, tuple[str | None, ...]], ours: int | None = None) -> list[str]:
    """What stops a blocking capture of pid, from per-thread texts (see procraw.TASK_FILES; status is last).

    ``ours``: the pid of our own tool, already started (its tracing is no obstacle).
    """
    tracers: dict[int, list[int]] = {}
    stuck: list[str] = []
    for tid, texts in sorted(tasks.items()):
        status = texts[-1] or ""
        tracer = int(_field(status, "TracerPid") or 0)
        if tracer and tracer != ours:
            tracers.setdefault(tracer, []).append(tid)
        if _field(status, "State")[:1] == "D":
            wchan = (texts[procraw.TASK_FILES.index("wchan")] or "").strip()
            stuck.append(f"{tid}" + (f" in {wchan}" if wchan and wchan != "0" else ""))
    out = []
    if tracers:
        from forensics.procfs import process_label  # only then: procfs is not needed on the common path
    for tracer, tids in tracers.items():
        which = "every thread" if len(tids) == len(tasks) else f"thread(s) {', '.join(map(str, tids))}"
        out.append(f"pid {pid} is already traced by {process_label(tracer)} ({which}); a blocking "
                   "capture cannot attach while it does")
    if stuck:
        out.append(f"pid {pid} has thread(s) in uninterruptible sleep (state D): {', '.join(stuck)}; "
                   "a blocking capture would wait until the kernel wakes them")
    return out


def current_obstacles(pid: int, ours: int | None = None) -> list[str]:
    """obstacles() from a fresh read of /proc (after a timeout, or where no snapshot was taken)."""
    try:
        return obstacles(pid, procraw.snapshot_tasks(pid), ours)
    except (TargetNotFound, PermissionDenied):  # gone or unreadable: the caller's own checks say so
        return []


def denial(pid: int) -> str | None:
    """Why the kernel refuses ptrace and /proc/PID/mem to us, when it is not a plain user mismatch.

    As root the usual cause is a target that holds capabilities we lack (the kernel then asks for
    CAP_SYS_PTRACE over it, in its user namespace): a container's init, a more privileged daemon.
    """
    if os.geteuid() != 0:
        return None
    theirs = _field("\n" + (procraw.read_optional(f"/proc/{pid}/status") or ""), "CapPrm")
    ours = _field("\n" + (procraw.read_optional("/proc/self/status") or ""), "CapPrm")
    if theirs and ours and int(theirs, 16) & ~int(ours, 16):
        return (f"pid {pid} holds capabilities this process lacks (CapPrm {theirs}, ours {ours}), "
                "so the kernel refuses to let even root read it")
    return "the kernel refused access although hangdump runs as root (a security module or a container boundary)"
