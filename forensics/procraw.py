"""Raw reads of /proc: the part that must happen *before* a capture tool stops the target.

A thread that py-spy or gdb holds stopped shows state 't' and wchan 'ptrace_stop', and once let go
a sleep it was in is restarted as 'restart_syscall'. So the per-thread files are read first, as
bytes, with nothing heavy imported, and parsed later by procfs while the tool runs.
"""
from __future__ import annotations

import os

from forensics.errors import PermissionDenied, TargetNotFound

TASK_FILES = ("stat", "syscall", "wchan", "status")


def read_bytes(path: str) -> bytes:
    """os.open/os.read: half the cost of open() for the thousands of tiny /proc files a pool has."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text(path: str) -> str:
    return read_bytes(path).decode("utf-8", "replace")


def read_optional(path: str) -> str | None:
    try:
        return read_text(path)
    except OSError:
        return None


def proc_error(pid: int, exc: OSError) -> Exception:
    if isinstance(exc, (FileNotFoundError, ProcessLookupError)):
        return TargetNotFound(f"no process with pid {pid}")
    if isinstance(exc, PermissionError):
        return PermissionDenied(f"not allowed to read /proc/{pid}")
    return exc


def thread_ids(pid: int) -> list[int]:
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError as exc:
        raise proc_error(pid, exc) from None


_RECORD = 16384  # more than any TASK_FILES file holds


def read_record(path: str, dir_fd: int | None = None) -> bytes:
    """A /proc file the kernel generates whole on open (stat, status, syscall, wchan: one seq_file record): one
    read(2) of it returns all of it, so there is no second read to see EOF; only a full buffer reads on."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        data = os.read(fd, _RECORD)
        if len(data) == _RECORD:
            chunks = [data]
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return data


def task_texts(pid: int, tid: int, tasks_fd: int | None = None) -> tuple[str | None, ...]:
    """The TASK_FILES of one thread; None for any file unreadable (the thread may have just exited).
    ``tasks_fd``: /proc/PID/task opened, the files then opened relative to it (a shorter path walk each)."""
    base = f"{tid}/" if tasks_fd is not None else f"/proc/{pid}/task/{tid}/"
    texts = []
    for name in TASK_FILES:
        try:
            texts.append(read_record(base + name, tasks_fd).decode("utf-8", "replace"))
        except OSError:
            texts.append(None)
    return tuple(texts)


def snapshot_tasks(pid: int) -> dict[int, tuple[str | None, ...]]:
    """Every thread's TASK_FILES, read in the tens of milliseconds a capture tool takes to stop anything: at
    ~40 us a thread (mostly the kernel writing the files), a 1,000-thread pool takes about that long."""
    tids = thread_ids(pid)
    try:
        tasks_fd = os.open(f"/proc/{pid}/task", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:  # gone since the listing: every file reads as unreadable, as it would by its path
        return {tid: task_texts(pid, tid) for tid in tids}
    try:
        return {tid: task_texts(pid, tid, tasks_fd) for tid in tids}
    finally:
        os.close(tasks_fd)
