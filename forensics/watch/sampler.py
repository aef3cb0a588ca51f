"""Samples of a process and its threads from /proc, without ptrace: cheap enough for every target each scan.

Per process: /proc/PID/stat (identity, state, ppid, CPU, RSS). Per thread, only when a rule needs them:
task/TID/stat (state, CPU), task/TID/syscall (number + args), task/TID/status (voluntary switches).
PSS/USS come from smaps_rollup, read only when a memory limit is set on them (the kernel walks the page
tables). Samples are NamedTuples and files are read with one read(2) each: this runs for every thread of
every target every scan (see scripts/bench/watch.py).
"""
from __future__ import annotations

import os
from typing import NamedTuple

from forensics.identity import ProcessIdentity

PAGE = os.sysconf("SC_PAGE_SIZE")


class ThreadSample(NamedTuple):
    tid: int
    state: str
    syscall: tuple[int, ...] | None  # (nr, a0..a5) while blocked in a syscall; None when running or outside one
    cpu_ticks: int
    voluntary: int | None


class ProcSample(NamedTuple):
    ident: ProcessIdentity
    at: float  # the watchdog's monotonic time of the sample
    state: str
    ppid: int
    cpu_ticks: int
    rss: int  # bytes
    threads: tuple[ThreadSample, ...] | None = None  # None: not sampled this time
    pss: int | None = None
    uss: int | None = None
    still_since: float | None = None  # when the run of samples with no thread progress began (rules.advance)


def read_once(path: str, dir_fd: int | None = None) -> bytes:
    """One read(2): /proc files this small come whole (procraw.read_bytes loops to EOF: one more syscall)."""
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def _syscall(raw: bytes) -> tuple[int, ...] | None:
    f = raw.split()
    if not f or f[0] == b"running" or f[0].startswith(b"-"):
        return None
    return (int(f[0]),) + tuple(int(a, 16) for a in f[1:7])


def _voluntary(raw: bytes) -> int | None:
    i = raw.find(b"\nvoluntary_ctxt_switches:")
    if i < 0:
        return None
    return int(raw[i + 25:raw.find(b"\n", i + 1)])


def sample_thread(pid: int, tid: int) -> ThreadSample | None:
    base = f"/proc/{pid}/task/{tid}/"
    try:
        f = read_once(base + "stat").rpartition(b")")[2].split(None, 13)
        syscall = _syscall(read_once(base + "syscall"))
        vol = _voluntary(read_once(base + "status"))
    except (OSError, ValueError, IndexError):
        return None  # the thread exited, or its syscall file is not ours to read
    return ThreadSample(tid, f[0].decode(), syscall, int(f[11]) + int(f[12]), vol)


def _smaps(pid: int) -> tuple[int | None, int | None]:
    try:
        raw = read_once(f"/proc/{pid}/smaps_rollup")
    except OSError:
        return None, None
    kb = {}
    for line in raw.splitlines()[1:]:
        key, _, value = line.partition(b":")
        parts = value.split()
        if parts and parts[0].isdigit():
            kb[key] = int(parts[0])
    uss = kb.get(b"Private_Clean", 0) + kb.get(b"Private_Dirty", 0)
    return kb.get(b"Pss", 0) * 1024, uss * 1024


def sample(pid: int, at: float, smaps: bool = False) -> ProcSample | None:
    """The process-level sample, its identity read from the same stat; None when the pid is gone."""
    try:
        f = read_once(f"/proc/{pid}/stat").rpartition(b")")[2].split(None, 22)  # rss is field 21: the rest unsplit
    except (OSError, IndexError):
        return None
    pss, uss = _smaps(pid) if smaps else (None, None)
    return ProcSample(ProcessIdentity(pid, int(f[19])), at, f[0].decode(), int(f[1]), int(f[11]) + int(f[12]),
                      int(f[21]) * PAGE, None, pss, uss)


def with_threads(s: ProcSample) -> ProcSample | None:
    """The sample with every thread's; None when the process went away meanwhile."""
    if s.state == "Z":
        return s
    pid = s.ident.pid
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    found = (sample_thread(pid, int(tid)) for tid in tids)
    return s._replace(threads=tuple(sorted((t for t in found if t is not None), key=lambda t: t.tid)))


def core_dumping(pid: int) -> bool:
    """/proc/PID/status says ``CoreDumping: 1``: a SIGKILL now would truncate the core being written."""
    try:
        raw = read_once(f"/proc/{pid}/status")
    except OSError:
        return False
    i = raw.find(b"\nCoreDumping:")
    return i >= 0 and raw[i + 13:raw.find(b"\n", i + 1)].strip() == b"1"
