"""What the watchdog watches: heartbeat writers, command-line matches, pid files and the trees below pids.

Never pid 1, the watchdog itself or its ancestors. Each target carries its identity (pid + start time),
why it is watched, and its pool (the parent: siblings of one master share a kill budget).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from forensics.errors import UsageError
from forensics.identity import ProcessIdentity
from forensics.targets import matching, self_and_ancestors
from forensics.watch.heartbeats import Beats
from forensics.watch.sampler import HeldFiles, read_once

_HEARTBEAT, _KNOWN = ("heartbeat",), ("known",)


@dataclass(frozen=True)
class Target:
    ident: ProcessIdentity
    sources: tuple[str, ...]  # heartbeat, match, pidfile:PATH, tree:PID; or known (tracked, no reason now)
    ppid: int

    @property
    def pool(self) -> str:
        return f"ppid:{self.ppid}"


def combined_pattern(patterns: tuple[str, ...]) -> str | None:
    """One regex for every --match (one pass over /proc); each checked alone first, for a precise error."""
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise UsageError(f"--match {p!r} is not a valid regular expression: {exc}") from None
    return "|".join(f"(?:{p})" for p in patterns) if patterns else None


def read_pidfile(path: str) -> int | None:
    """The pid in a pid file; None when it is missing or holds no pid (a daemon between restarts)."""
    try:
        with open(path) as fh:
            text = fh.read(64).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def tree(root: int, files: HeldFiles | None = None) -> dict[int, list[str]]:
    """Every process below ``root``, breadth first, each with its thread listing: read once per scan, for
    the children files here (every thread can fork; held open in ``files``) and for the thread samples after."""
    out: dict[int, list[str]] = {}
    todo = [root]
    for pid in todo:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # exited meanwhile (or the root is not ours to read)
        if pid != root:
            out[pid] = tids
        for tid in tids:
            try:
                kids = files.read(pid, f"task/{tid}/children") if files else read_once(f"/proc/{pid}/task/{tid}/children")
            except OSError:
                continue
            todo.extend(k for k in map(int, kids.split()) if k not in out)
        if files:
            files.keep_threads(pid, tids)  # the files of threads that ended since the last walk
    return out


def never_targets() -> frozenset[int]:
    """pid 0 and 1, ourselves and our ancestors. The ancestors can only shrink while we run (an orphan is
    adopted by init or a subreaper that was an ancestor already), so a set read once stays a safe superset."""
    return frozenset(self_and_ancestors() | {0, 1})


def candidates(
    beats: Beats,
    pattern: str | None = None,
    pidfiles: tuple[str, ...] = (),
    trees: tuple[int, ...] = (),
    known: tuple[int, ...] = (),
    listed: dict[int, list[str]] | None = None,
    files: HeldFiles | None = None,
    excluded: frozenset[int] | None = None,
) -> dict[int, tuple[str, ...]]:
    """Every pid to look at, once, with all the reasons it is watched (the sampler then checks who it is).
    ``listed`` receives the thread listings the tree walks read; ``excluded``: never_targets()."""
    if excluded is None:
        excluded = never_targets()
    found = dict.fromkeys((pid for pid in beats.by_pid if pid not in excluded), _HEARTBEAT)

    def add(pid: int, why: str) -> None:
        if pid not in excluded:
            had = found.get(pid, ())
            if why not in had:
                found[pid] = had + (why,)

    if pattern:
        for pid in matching(pattern):
            add(pid, "match")
    for path in pidfiles:
        pid = read_pidfile(path)
        if pid is not None:
            add(pid, f"pidfile:{path}")
    for root in trees:
        below = tree(root, files)
        if listed is not None:
            listed.update(below)
        for pid in below:
            add(pid, f"tree:{root}")
    for pid in known:  # tracked since an earlier scan, and no other reason now
        if pid not in found and pid not in excluded:
            found[pid] = _KNOWN
    return found
