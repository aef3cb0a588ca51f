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


def task_texts(pid: int, tid: int) -> tuple[str | None, ...]:
    """The TASK_FILES of one thread; None for any file unreadable (the thread may have just exited)."""
    base = f"/proc/{pid}/task/{tid}/"
    return tuple(read_optional(base + name) for name in TASK_FILES)


def snapshot_tasks(pid: int) -> dict[int, tuple[str | None, ...]]:
    return {tid: task_texts(pid, tid) for tid in thread_ids(pid)}
