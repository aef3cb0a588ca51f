"""What the watchdog watches: heartbeat writers, command-line matches, pid files and the trees below pids.

Never pid 1, the watchdog itself or its ancestors. Each target carries its identity (pid + start time),
why it is watched, and its pool (the parent: siblings of one master share a kill budget).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from forensics import procfs
from forensics.errors import PermissionDenied, TargetNotFound, UsageError
from forensics.identity import ProcessIdentity
from forensics.targets import matching, self_and_ancestors
from forensics.watch.heartbeats import Beats


@dataclass(frozen=True)
class Target:
    ident: ProcessIdentity
    sources: tuple[str, ...]  # heartbeat, match, pidfile:PATH, tree:PID, known
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


def candidates(
    beats: Beats,
    pattern: str | None = None,
    pidfiles: tuple[str, ...] = (),
    trees: tuple[int, ...] = (),
    known: tuple[int, ...] = (),
) -> dict[int, tuple[str, ...]]:
    """Every pid to look at, once, with all the reasons it is watched (the sampler then checks who it is)."""
    excluded = self_and_ancestors() | {0, 1}
    found: dict[int, list[str]] = {}

    def add(pid: int, why: str) -> None:
        if pid not in excluded:
            found.setdefault(pid, []).append(why)

    for pid in beats.by_pid:
        add(pid, "heartbeat")
    if pattern:
        for pid in matching(pattern):
            add(pid, "match")
    for path in pidfiles:
        pid = read_pidfile(path)
        if pid is not None:
            add(pid, f"pidfile:{path}")
    for root in trees:
        try:
            below = procfs.descendants(root)
        except (TargetNotFound, PermissionDenied):
            continue
        for pid in below:
            add(pid, f"tree:{root}")
    for pid in known:
        add(pid, "known")
    return {pid: tuple(dict.fromkeys(why)) for pid, why in found.items()}
