"""Samples of a process and its threads from /proc, without ptrace: cheap enough for every target each scan.

Per process: /proc/PID/stat (state, ppid, CPU, RSS, identity). Per thread, only when a rule needs them:
task/TID/stat (state, CPU), task/TID/syscall (number + args), task/TID/status (voluntary switches).
PSS/USS come from smaps_rollup, read only when a memory limit is set on them (the kernel walks the page tables).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from forensics.identity import ProcessIdentity
from forensics.procraw import read_bytes

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ThreadSample:
    tid: int
    state: str
    syscall: tuple[int, ...] | None  # (nr, a0..a5) while blocked in a syscall; None when running or outside one
    cpu_ticks: int
    voluntary: int | None


@dataclass(frozen=True)
class ProcSample:
    ident: ProcessIdentity
    at: float  # the watchdog's monotonic time of the sample
    state: str
    ppid: int
    cpu_ticks: int
    rss: int  # bytes
    threads: tuple[ThreadSample, ...] | None = None  # None: not sampled this time
    pss: int | None = None
    uss: int | None = None


def _stat_fields(raw: bytes) -> tuple[str, list[bytes]]:
    tail = raw.rpartition(b")")[2]
    f = tail.split()
    return f[0].decode(), f


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
        state, f = _stat_fields(read_bytes(base + "stat"))
        syscall = _syscall(read_bytes(base + "syscall"))
        vol = _voluntary(read_bytes(base + "status"))
    except (OSError, ValueError, IndexError):
        return None  # the thread exited, or its syscall file is not ours to read
    return ThreadSample(tid=tid, state=state, syscall=syscall, cpu_ticks=int(f[11]) + int(f[12]), voluntary=vol)


def _smaps(pid: int) -> tuple[int | None, int | None]:
    try:
        raw = read_bytes(f"/proc/{pid}/smaps_rollup")
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


def sample(ident: ProcessIdentity, at: float, threads: bool = True, smaps: bool = False) -> ProcSample | None:
    """None when the pid is gone or now names another process (start time changed)."""
    pid = ident.pid
    try:
        state, f = _stat_fields(read_bytes(f"/proc/{pid}/stat"))
    except (OSError, IndexError):
        return None
    if int(f[19]) != ident.start_ticks:
        return None
    thread_samples = None
    if threads and state != "Z":
        try:
            tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            return None
        found = (sample_thread(pid, tid) for tid in tids)
        thread_samples = tuple(t for t in found if t is not None)
    pss, uss = _smaps(pid) if smaps else (None, None)
    return ProcSample(ident=ident, at=at, state=state, ppid=int(f[1]), cpu_ticks=int(f[11]) + int(f[12]),
                      rss=int(f[21]) * PAGE, threads=thread_samples, pss=pss, uss=uss)


def core_dumping(pid: int) -> bool:
    """/proc/PID/status says ``CoreDumping: 1``: a SIGKILL now would truncate the core being written."""
    try:
        raw = read_bytes(f"/proc/{pid}/status")
    except OSError:
        return False
    i = raw.find(b"\nCoreDumping:")
    return i >= 0 and raw[i + 13:raw.find(b"\n", i + 1)].strip() == b"1"
