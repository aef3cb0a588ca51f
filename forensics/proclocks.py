"""/proc/locks: who holds the file lock a thread waits on in flock or fcntl(F_SETLKW).

Its own module, imported only when some thread waits on a file lock (procfs.lock_parties): the common
capture has none, and the entry type is one more dataclass to create at start-up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One line of /proc/locks. ``blocked``: a ``->`` line, a waiter listed under the lock (same id) it waits on.

    ``pid`` is -1 for an OFD lock (it belongs to an open file description, not a process), 0 when the holder is
    outside our pid namespace. ``dev`` is the (major, minor) of the file's superblock, None for ``<none>``.
    """

    id: int
    kind: str
    access: str
    pid: int
    dev: tuple[int, int] | None
    inode: int | None
    blocked: bool = False


_LOCK_FILE = re.compile(r"^([0-9a-fA-F]+):([0-9a-fA-F]+):(\d+)$")
_LOCK_PID = re.compile(r"^-?\d+$")


def parse_locks(text: str) -> list[LockEntry]:
    """/proc/locks: ``1: FLOCK  ADVISORY  WRITE 12851 08:01:1234567 0 EOF`` (major:minor in hex, inode decimal);
    waiters as ``1: -> FLOCK ...``. Lines that do not parse are skipped."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 6 or not f[0].endswith(":") or not f[0][:-1].isdigit():
            continue
        blocked = f[1] == "->"
        rest = [x for x in f[1:] if x != "->"]
        at = next((i for i, x in enumerate(rest) if _LOCK_FILE.match(x) or x == "<none>:0"), None)
        if at is None or at < 3 or not _LOCK_PID.match(rest[at - 1]):
            continue
        m = _LOCK_FILE.match(rest[at])
        dev = (int(m.group(1), 16), int(m.group(2), 16)) if m else None
        out.append(LockEntry(
            id=int(f[0][:-1]), kind=rest[0], access=rest[at - 2], pid=int(rest[at - 1]),
            dev=dev, inode=int(m.group(3)) if m else None, blocked=blocked,
        ))
    return out


def lock_holders(entries: list[LockEntry], dev: tuple[int, int], inode: int, waiter: int) -> tuple[list[int], bool]:
    """(other pids holding a lock on the file, whether the waiter's own process holds one).

    The file is matched on (dev, inode); where stat's device differs from the superblock's one /proc/locks
    prints (btrfs subvolumes), on the inode and the device of the waiter's own ``->`` line. When that line is
    there, only the lock it is queued under counts (a POSIX lock on another byte range blocks nobody).
    """
    same_inode = [e for e in entries if e.inode == inode]
    on_file = [e for e in same_inode if e.dev == dev]
    if not on_file:
        mine = [e for e in same_inode if e.blocked and e.pid == waiter]
        on_file = [e for e in same_inode if mine and e.dev == mine[0].dev]
    holders = [e for e in on_file if not e.blocked]
    queued_under = {e.id for e in on_file if e.blocked and e.pid == waiter}
    if queued_under and any(e.id in queued_under for e in holders):
        holders = [e for e in holders if e.id in queued_under]
    pids = list(dict.fromkeys(e.pid for e in holders))
    return [p for p in pids if p > 0 and p != waiter], waiter in pids
