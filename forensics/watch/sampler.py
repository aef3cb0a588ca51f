"""Samples of a process and its threads from /proc, without ptrace: cheap enough for every target each scan.

Per process: /proc/PID/stat (identity, state, ppid, process group, session, CPU, RSS). Per thread, only
when a rule needs them:
task/TID/stat (state, CPU), task/TID/syscall (number + args), task/TID/status (voluntary switches).
PSS/USS come from smaps_rollup, read only when a memory limit is set on them (the kernel walks the page
tables). Samples are NamedTuples, built with ``tuple.__new__`` (a NamedTuple's own ``__new__`` is a Python
function), and files are read with one read(2) each: this runs for every thread of every target every scan
(see scripts/bench/watch.py).
"""
from __future__ import annotations

import os
import resource
from typing import NamedTuple

from forensics.identity import ProcessIdentity

PAGE = os.sysconf("SC_PAGE_SIZE")
_new = tuple.__new__


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
    pgid: int = 0
    sid: int = 0

    @property
    def pid(self) -> int:  # with ppid, pgid, sid, state and start_ticks: what fleet.orphans judges a process by
        return self.ident.pid

    @property
    def start_ticks(self) -> int:
        return self.ident.start_ticks


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


def sample_thread(pid: int, tid: int | str, files: HeldFiles | None = None) -> ThreadSample | None:
    base = f"task/{tid}/"
    try:
        f = _read(files, pid, base + "stat").rpartition(b")")[2].split(None, 13)
        syscall = _syscall(_read(files, pid, base + "syscall"))
        vol = _voluntary(_read(files, pid, base + "status"))
    except (OSError, ValueError, IndexError):
        return None  # the thread exited, or its syscall file is not ours to read
    return _new(ThreadSample, (int(tid), f[0].decode(), syscall, int(f[11]) + int(f[12]), vol))


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


class HeldFiles:
    """The /proc files of each target (its stat; its threads' stat, syscall and status) held open between
    scans and re-read with pread(2): opening a /proc file costs more than reading it (the pid lookup and a
    fresh dentry each time), and a held fd only ever reads the process or thread it was opened on (ESRCH
    once that one is gone: never a newcomer that reused the pid). At most ``limit`` are held (a quarter of
    RLIMIT_NOFILE by default); beyond that each read opens the file."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 4 if limit is None else limit
        self._fds: dict[int, dict[str, int]] = {}  # pid -> path under /proc/PID/ -> fd
        self._count = 0

    def read(self, pid: int, rel: str) -> bytes:
        held = self._fds.get(pid)
        fd = None if held is None else held.get(rel)
        if fd is not None:
            try:
                return os.pread(fd, 65536, 0)
            except OSError:
                self._drop(pid, rel)  # that process or thread is gone; the pid may name another one now
        path = f"/proc/{pid}/{rel}"
        if self._count >= self.limit:
            return read_once(path)
        fd = os.open(path, os.O_RDONLY)
        try:
            raw = os.pread(fd, 65536, 0)
        except OSError:
            os.close(fd)
            raise
        self._fds.setdefault(pid, {})[rel] = fd
        self._count += 1
        return raw

    def _drop(self, pid: int, rel: str) -> None:
        os.close(self._fds[pid].pop(rel))
        self._count -= 1

    def keep_threads(self, pid: int, tids) -> None:
        """Close the files of pid's threads not in ``tids`` (threads that exited)."""
        held = self._fds.get(pid)
        for rel in [r for r in held or () if r.startswith("task/") and r.split("/", 2)[1] not in tids]:
            self._drop(pid, rel)

    def keep(self, pids) -> None:
        """Close the files of every pid not in ``pids`` (targets that left)."""
        for pid in [p for p in self._fds if p not in pids]:
            for rel in list(self._fds[pid]):
                self._drop(pid, rel)
            del self._fds[pid]

    def close(self) -> None:
        self.keep(())


def _read(files: HeldFiles | None, pid: int, rel: str) -> bytes:
    return files.read(pid, rel) if files is not None else read_once(f"/proc/{pid}/{rel}")


def sample(pid: int, at: float, smaps: bool = False, files: HeldFiles | None = None) -> ProcSample | None:
    """The process-level sample, its identity read from the same stat; None when the pid is gone."""
    try:
        raw = files.read(pid, "stat") if files is not None else read_once(f"/proc/{pid}/stat")
        f = raw.rpartition(b")")[2].split(None, 22)  # rss is field 21: the rest unsplit
        ident = _new(ProcessIdentity, (pid, int(f[19])))
    except (OSError, IndexError):
        return None
    pss, uss = _smaps(pid) if smaps else (None, None)
    return _new(ProcSample, (ident, at, f[0].decode(), int(f[1]), int(f[11]) + int(f[12]), int(f[21]) * PAGE,
                             None, pss, uss, None, int(f[2]), int(f[3])))


def with_threads(s: ProcSample, tids: list[str] | None = None, files: HeldFiles | None = None) -> ProcSample | None:
    """The sample with every thread's (``tids``: the task listing when the caller has just read it); None
    when the process went away meanwhile."""
    if s.state == "Z":
        return s
    pid = s.ident.pid
    if tids is None:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return None
    found = [t for t in (sample_thread(pid, tid, files) for tid in tids) if t is not None]
    found.sort()
    if files is not None:
        files.keep_threads(pid, tids)
    return s._replace(threads=tuple(found))


def core_dumping(pid: int) -> bool:
    """/proc/PID/status says ``CoreDumping: 1``: a SIGKILL now would truncate the core being written."""
    try:
        raw = read_once(f"/proc/{pid}/status")
    except OSError:
        return False
    i = raw.find(b"\nCoreDumping:")
    return i >= 0 and raw[i + 13:raw.find(b"\n", i + 1)].strip() == b"1"
