"""One capture of a target at a time, host-wide: an flock per target (pid + start time) under /run.

Two tools cannot trace one thread: the second PTRACE_ATTACH fails with EPERM, so concurrent collects of
one target used to fail ("not allowed"). They queue instead: a capture holds the lock of each of its
targets from before its first tool starts until the last one has let go and the target was checked.
Several targets are locked in pid order, so two captures of overlapping sets cannot deadlock; the
entry point's early start (prestart) only takes all of its locks at once or none. Within a process the
locks are counted, so nested holds (collect, then gdb for --deep) are free. A lock file is removed by
its last holder; a waiter that then finds it gone or replaced starts over. flock locks die with their
holder, so a killed capture never blocks the next one.
"""
from __future__ import annotations

import _thread
import os
import stat
import time

from forensics.errors import CaptureTimeout
from forensics.identity import ProcessIdentity

LOCK_WAIT_S = 120.0  # each holder's tools are bounded by --timeout; this bounds a queue of them
_held: dict[tuple[int, int], list[int]] = {}  # (pid, start ticks) -> [fd, holds]
_mutex = _thread.allocate_lock()


def lock_dir() -> str | None:
    """/run/hangdump for root, $XDG_RUNTIME_DIR/hangdump otherwise; ours alone (0700), or None: no locking."""
    if os.geteuid() == 0:
        path = "/run/hangdump"
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = os.path.join(os.environ["XDG_RUNTIME_DIR"], "hangdump")
    else:
        return None
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        return None
    return path


def _try(path: str) -> int | None:
    """The fd of the lock file at path, flocked by us; None if another holder has it."""
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # its last holder removed it after we opened it: take the new one


def _take(directory: str, key: tuple[int, int]) -> bool:
    with _mutex:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
            return True
        try:
            fd = _try(os.path.join(directory, f"{key[0]}-{key[1]}.lock"))
        except OSError:  # cannot lock here (read-only, full): capture unserialized rather than not at all
            return True
        if fd is None:
            return False
        _held[key] = [fd, 1]
        return True


def acquire(idents: list[ProcessIdentity], wait: bool = True, until: float | None = None) -> bool:
    """Lock every target, in pid order. wait=False: all at once or none (returns False). Waits at most
    LOCK_WAIT_S for a target another capture holds, and never past ``until`` (monotonic) (CaptureTimeout)."""
    directory = lock_dir()
    if directory is None:
        return True
    keys = sorted({(i.pid, i.start_ticks) for i in idents})
    taken: list[tuple[int, int]] = []
    try:
        for key in keys:
            began = time.monotonic()
            deadline = min(began + LOCK_WAIT_S, until if until is not None else float("inf"))
            while not _take(directory, key):
                if not wait:
                    _drop(directory, taken)
                    return False
                if time.monotonic() > deadline:
                    raise CaptureTimeout(f"waited {deadline - began:.3g}s for another capture of pid {key[0]} to finish",
                                         help="see who holds it: fuser /run/hangdump/*.lock; retry later")
                time.sleep(0.005)
            taken.append(key)
    except BaseException:
        _drop(directory, taken)
        raise
    return True


def _drop(directory: str, keys: list[tuple[int, int]]) -> None:
    with _mutex:
        for key in keys:
            entry = _held.get(key)
            if entry is None:
                continue
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                try:
                    os.unlink(os.path.join(directory, f"{key[0]}-{key[1]}.lock"))
                except OSError:
                    pass
                os.close(entry[0])


def release(idents: list[ProcessIdentity]) -> None:
    directory = lock_dir()
    if directory is not None:
        _drop(directory, sorted({(i.pid, i.start_ticks) for i in idents}))
