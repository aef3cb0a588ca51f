"""Parsers of /proc files (pure: text in, values out) and thin readers built on them.

Everything here works without ptrace, so it is safe on a process that another tool has
stopped, and cheap enough to run on every thread of every worker each watchdog tick.
"""
from __future__ import annotations

import os
import re

from forensics.errors import PermissionDenied, TargetNotFound
from forensics.identity import (  # noqa: F401 - re-exported: procfs is the one door to /proc
    ProcessIdentity,
    Stat,
    identity,
    is_stopped,
    parse_stat,
    read_stat,
    same_process,
    tracer_pid,
)
from forensics.model import KernelState, ProcessFacts, Syscall
from forensics.procraw import proc_error, snapshot_tasks, task_texts, thread_ids
from forensics.procraw import read_optional as _optional
from forensics.procraw import read_text as _read
from forensics.syscalls import syscall_name

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_PY_LIB = re.compile(r"libpython(\d+\.\d+)")
_PY_EXE = re.compile(r"python(\d+\.\d+)")
_PY_FULL = re.compile(r"/(\d+\.\d+\.\d+)[^/]*/")


def parse_status(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key] = value.strip()
    return out


_CTXT = re.compile(r"^(voluntary|nonvoluntary)_ctxt_switches:\s*(\d+)", re.MULTILINE)


def context_switches(status_text: str) -> tuple[int | None, int | None]:
    """(voluntary, nonvoluntary) from a status file; the two lines a watchdog samples on every tick."""
    found = dict(_CTXT.findall(status_text))
    vol, nonvol = found.get("voluntary"), found.get("nonvoluntary")
    return (int(vol) if vol else None, int(nonvol) if nonvol else None)


def parse_syscall(text: str, machine: str | None = None) -> tuple[bool | None, Syscall | None]:
    """/proc/PID/task/TID/syscall: ``running``; ``-1 sp pc`` (blocked outside a syscall); or ``nr a0..a5 sp pc``.

    Returns (running, syscall).
    """
    fields = text.split()
    if not fields:
        return None, None
    if fields[0] == "running":
        return True, None
    nr = int(fields[0])
    if nr < 0:
        return False, None
    args = tuple(int(a, 16) for a in fields[1:7])
    return False, Syscall(nr=nr, name=syscall_name(nr, machine), args=args)


def parse_smaps_rollup(text: str) -> dict[str, int]:
    """Bytes of rss/pss/uss/shared/swap from /proc/PID/smaps_rollup (values there are in kB)."""
    kb: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        key, sep, value = line.partition(":")
        if sep:
            num = value.split()
            if num and num[0].isdigit():
                kb[key] = int(num[0])
    b = {k: v * 1024 for k, v in kb.items()}
    return {
        "rss": b.get("Rss", 0),
        "pss": b.get("Pss", 0),
        "uss": b.get("Private_Clean", 0) + b.get("Private_Dirty", 0),
        "shared": b.get("Shared_Clean", 0) + b.get("Shared_Dirty", 0),
        "swap": b.get("Swap", 0),
    }


def python_version_from_maps(maps: str, exe: str | None) -> str | None:
    """X.Y from the mapped libpython or the interpreter's file name; X.Y.Z when the install path carries it."""
    for text in (maps, exe or ""):
        m = _PY_LIB.search(text) or _PY_EXE.search(text)
        if m:
            short = m.group(1)
            full = _PY_FULL.search(exe or "")
            if full and full.group(1).startswith(short + "."):
                return full.group(1)
            return short
    return None


def boot_time() -> float:
    with open("/proc/stat") as fh:
        for line in fh:
            if line.startswith("btime"):
                return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def ticks_to_epoch(ticks: int) -> float:
    return boot_time() + ticks / CLK_TCK


def read_status(pid: int) -> dict[str, str]:
    try:
        return parse_status(_read(f"/proc/{pid}/status"))
    except OSError as exc:
        raise proc_error(pid, exc) from None


def parse_task(texts: tuple[str | None, ...]) -> tuple[str, KernelState] | None:
    """A thread's name (comm) and kernel facts from its procraw.TASK_FILES texts; None if it had vanished."""
    stat_text, syscall_text, wchan, status = texts
    if stat_text is None:
        return None
    st = parse_stat(stat_text)
    running, syscall = parse_syscall(syscall_text) if syscall_text is not None else (None, None)
    vol, nonvol = context_switches(status or "")
    wchan = wchan.strip() if wchan else None
    return st.comm, KernelState(
        state=st.state,
        syscall=syscall,
        running=running,
        wchan=wchan if wchan and wchan != "0" else None,
        utime_s=st.utime_ticks / CLK_TCK,
        stime_s=st.stime_ticks / CLK_TCK,
        voluntary_ctxt_switches=vol,
        nonvoluntary_ctxt_switches=nonvol,
    )


def read_task(pid: int, tid: int) -> tuple[str, KernelState] | None:
    return parse_task(task_texts(pid, tid))


def parse_tasks(snapshot: dict[int, tuple[str | None, ...]]) -> dict[int, tuple[str, KernelState]]:
    parsed = {tid: parse_task(texts) for tid, texts in snapshot.items()}
    return {tid: task for tid, task in parsed.items() if task is not None}


def read_threads(pid: int) -> dict[int, tuple[str, KernelState]]:
    return parse_tasks(snapshot_tasks(pid))


def children(pid: int) -> list[int]:
    """Direct children, from /proc/PID/task/*/children (every thread can fork)."""
    kids: list[int] = []
    for tid in thread_ids(pid):
        text = _optional(f"/proc/{pid}/task/{tid}/children")
        if text:
            kids.extend(int(c) for c in text.split())
    return sorted(set(kids))


def descendants(pid: int) -> list[int]:
    """Every process below pid, breadth first; processes that vanish meanwhile are skipped."""
    out: list[int] = []
    todo = [pid]
    while todo:
        try:
            kids = children(todo.pop(0))
        except (TargetNotFound, PermissionDenied):
            continue
        out.extend(kids)
        todo.extend(kids)
    return out


def read_process_facts(pid: int, now: float) -> ProcessFacts:
    """Process-level facts; raises TargetNotFound if the process is gone."""
    st = read_stat(pid)
    status = read_status(pid)
    cmdline_raw = _optional(f"/proc/{pid}/cmdline") or ""
    cmdline = tuple(a for a in cmdline_raw.split("\0") if a)
    try:
        exe: str | None = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = None
    maps = _optional(f"/proc/{pid}/maps") or ""
    mem = parse_smaps_rollup(_optional(f"/proc/{pid}/smaps_rollup") or "")
    uid = status.get("Uid", "").split()
    try:
        kids = tuple(children(pid))
    except (TargetNotFound, PermissionDenied):
        kids = ()
    return ProcessFacts(
        cmdline=cmdline,
        exe=exe,
        python_version=python_version_from_maps(maps, exe),
        ppid=st.ppid,
        state=st.state,
        age_s=round(now - ticks_to_epoch(st.start_ticks), 3),
        cpu_user_s=st.utime_ticks / CLK_TCK,
        cpu_system_s=st.stime_ticks / CLK_TCK,
        rss=mem["rss"] or _kb(status.get("VmRSS")),
        pss=mem["pss"] or None,
        uss=mem["uss"] or None,
        shared=mem["shared"] or None,
        swap=mem["swap"],
        num_threads=st.num_threads,
        children=kids,
        uid=int(uid[0]) if uid else None,
    )


def _kb(value: str | None) -> int | None:
    if not value:
        return None
    return int(value.split()[0]) * 1024


