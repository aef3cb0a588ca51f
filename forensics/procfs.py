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
from forensics.procraw import proc_error, snapshot_tasks, thread_ids
from forensics.procraw import read_optional as _optional
from forensics.procraw import read_text as _read
from forensics.syscalls import syscall_name

CLK_TCK = os.sysconf("SC_CLK_TCK")
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
    # the interpreter's file name usually says the version; the (large) maps only for embedders (uwsgi, ...)
    version = python_version_from_maps("", exe) or python_version_from_maps(
        _optional(f"/proc/{pid}/maps") or "", exe
    )
    mem = parse_smaps_rollup(_optional(f"/proc/{pid}/smaps_rollup") or "")
    uid = status.get("Uid", "").split()
    try:
        kids = tuple(children(pid))
    except (TargetNotFound, PermissionDenied):
        kids = ()
    return ProcessFacts(
        cmdline=cmdline,
        exe=exe,
        python_version=version,
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


# Syscalls whose first argument is the file descriptor the thread is blocked on.
FD_SYSCALLS = frozenset({
    "read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recvmmsg", "write", "writev",
    "sendto", "sendmsg", "accept", "accept4", "connect", "flock", "fcntl", "fsync", "fdatasync", "ioctl",
})
_TCP_STATES = {"0A": "LISTEN"}


def parse_inet_address(text: str) -> str:
    """'0100007F:1F91' -> '127.0.0.1:8081'; IPv6 addresses (32 hex digits) -> '[::1]:8081'.

    /proc/net/tcp prints each 32-bit word of the address in host (little-endian) byte order.
    """
    addr, _, port = text.partition(":")
    raw = bytes.fromhex(addr)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        host = ".".join(str(b) for b in words)
    else:
        import ipaddress

        ip = ipaddress.IPv6Address(words)
        host = str(ip.ipv4_mapped) if ip.ipv4_mapped else f"[{ip}]"
    return f"{host}:{int(port, 16)}"


def parse_net_tcp(text: str) -> dict[int, tuple[str, str | None]]:
    """inode -> (local, peer) from /proc/PID/net/tcp or tcp6; peer is None for a listening socket."""
    out = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 10 or not f[9].isdigit():
            continue
        listening = _TCP_STATES.get(f[3]) == "LISTEN"
        out[int(f[9])] = (parse_inet_address(f[1]), None if listening else parse_inet_address(f[2]))
    return out


def resolve_fds(pid: int, kernel: dict[int, tuple[str, KernelState]]) -> dict[int, tuple[str, KernelState]]:
    """Say what each blocked thread's file descriptor is, and for TCP sockets both ends.

    Read at capture time on purpose: the fd table and sockets are gone with the process.
    """
    from dataclasses import replace

    sockets: dict[int, tuple[str, str | None]] | None = None
    out = dict(kernel)
    for tid, (comm, ks) in kernel.items():
        sc = ks.syscall
        if sc is None or sc.name not in FD_SYSCALLS or not sc.args or sc.args[0] >= 1 << 31:
            continue
        try:
            target = os.readlink(f"/proc/{pid}/fd/{sc.args[0]}")
        except OSError:
            continue
        local = peer = None
        if target.startswith("socket:[") and target.endswith("]"):
            if sockets is None:
                sockets = {}
                for name in ("tcp", "tcp6"):
                    sockets.update(parse_net_tcp(_optional(f"/proc/{pid}/net/{name}") or ""))
            local, peer = sockets.get(int(target[8:-1]), (None, None))
        out[tid] = (comm, replace(ks, fd_target=target, local=local, peer=peer))
    return out
