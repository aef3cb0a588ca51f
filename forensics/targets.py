"""Which processes a command acts on: explicit pids, a command-line regex, and their descendants."""
from __future__ import annotations

import os
import re

from forensics import procfs
from forensics.errors import TargetNotFound, UsageError


def self_and_ancestors() -> set[int]:
    """Our own pid and every ancestor: never a target of a match, never signalled."""
    out = set()
    pid = os.getpid()
    while pid > 0 and pid not in out:
        out.add(pid)
        try:
            pid = procfs.read_stat(pid).ppid
        except (TargetNotFound, OSError):
            break
    return out


def _cmdline(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip() or None


def matching(pattern: str) -> list[int]:
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"--match {pattern!r} is not a valid regular expression: {exc}") from None
    excluded = self_and_ancestors()
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            pid = int(name)
            cmd = _cmdline(pid)
            if pid not in excluded and cmd and rx.search(cmd):
                out.append(pid)
    return sorted(out)


def select(pids: list[int], match: str | None = None, with_children: bool = False) -> list[int]:
    """Explicit pids first (kept even if gone: the capture reports that), then matches, then descendants; no repeats."""
    chosen = list(dict.fromkeys(pids))
    if match:
        chosen += [p for p in matching(match) if p not in chosen]
    if with_children:
        excluded = self_and_ancestors()
        for pid in list(chosen):
            chosen += [k for k in procfs.descendants(pid) if k not in chosen and k not in excluded]
    return chosen
