"""One read of the process table: per pid its parent, process group, session, start time and command line.

A pool is a master and the children it forked: the topmost selected process of a chain of selected
parents is the master (celery, gunicorn and multiprocessing children carry the master's command line,
so a regex selects the whole pool). Children whose master died keep its process group (fork inherits
it), which is how the pool of an orphan is still known.
"""
from __future__ import annotations

import os
import re
from typing import NamedTuple

from forensics.errors import UsageError
from forensics.targets import self_and_ancestors
from forensics.watch.sampler import read_once


class Proc(NamedTuple):
    pid: int
    ppid: int
    pgid: int
    sid: int
    start_ticks: int
    state: str
    cmdline: str


def read_proc(pid: int) -> Proc | None:
    try:
        f = read_once(f"/proc/{pid}/stat").rpartition(b")")[2].split()
        cmd = read_once(f"/proc/{pid}/cmdline")
    except (OSError, IndexError):
        return None
    text = cmd.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return Proc(pid, int(f[1]), int(f[2]), int(f[3]), int(f[19]), f[0].decode(), text)


def snapshot() -> dict[int, Proc]:
    """Every process we can read (kernel threads have no command line and are left out)."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            p = read_proc(int(name))
            if p is not None and p.cmdline:
                out[p.pid] = p
    return out


def compile_match(pattern: str | None) -> re.Pattern | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"--match {pattern!r} is not a valid regular expression: {exc}") from None


DEFAULT_MATCH = r"(^|/)python[0-9.]*( |$)|(^|/)(celery|gunicorn|uwsgi|rq)( |$)| -m (celery|gunicorn|rq)\b"


def select(procs: dict[int, Proc], pattern: str | None) -> dict[int, Proc]:
    """Processes whose command line matches (default: Python interpreters and the worker frameworks' entry
    points), never this hangdump or its ancestors."""
    rx = compile_match(pattern or DEFAULT_MATCH)
    mine = self_and_ancestors()
    return {pid: p for pid, p in procs.items() if pid not in mine and p.state not in ("Z", "X") and rx.search(p.cmdline)}


def pools(selected: dict[int, Proc]) -> dict[int, list[int]]:
    """master pid -> [master, children...] (sorted); a process with no selected parent is its own master."""
    out: dict[int, list[int]] = {}
    for pid in sorted(selected):
        root, seen = pid, {pid}
        while selected.get(root) is not None and selected[root].ppid in selected and selected[root].ppid not in seen:
            root = selected[root].ppid
            seen.add(root)
        out.setdefault(root, []).append(pid)
    return {root: sorted(members, key=lambda p: (p != root, p)) for root, members in out.items()}
