"""Pool children whose parent is gone: the one finder behind ``hangdump orphans`` and the watchdog's rule.

Linux changes a process's parent only when the parent dies: it is re-parented to init (pid 1) or the
nearest subreaper. With a recorded parent (a heartbeat's ppid, or the watchdog's first sample) that is
proof. Without one, fork is the witness: a child keeps its master's process group, so a process whose
group leader is gone and whose new parent sits outside its group and its session (init, or a subreaper
such as ``systemd --user``; a shell pipeline's member keeps its shell, the session leader) was left behind
by a master that died. Its pool is that group: the dead master's pid. One shape looks the same and is not
an orphan: a daemon's double fork (fork, setsid, fork, the middle one exits: ``celery --detach``,
``gunicorn --daemon``, python-daemon) leaves one process whose group leader, also its session's leader,
is gone; its own workers keep it as their parent. So a group that was its own session counts as abandoned
only when two or more of its processes were left behind, a pool; one alone is let be.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import NamedTuple

from forensics import procfs
from forensics.fleet.table import select, snapshot
from forensics.watch.sampler import read_once


class Kin(NamedTuple):
    """A process's family, from its /proc/PID/stat: what an orphan is judged by (fleet.table.Proc has the same
    fields, so a process table serves as well)."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str


def read_kin(pid: int) -> Kin | None:
    try:
        f = read_once(f"/proc/{pid}/stat").rpartition(b")")[2].split(None, 4)
        return Kin(pid, int(f[1]), int(f[2]), int(f[3]), f[0].decode())
    except (OSError, IndexError, ValueError):
        return None


def reparented(ppid: int, recorded_ppid: int | None) -> dict | None:
    """Evidence that a process with a known original parent lost it (None: it did not)."""
    if recorded_ppid is None or ppid == recorded_ppid:
        return None
    return {"recorded_ppid": recorded_ppid, "ppid": ppid, "reparented_to": "init" if ppid == 1 else "subreaper"}


def kept_by(p: Kin, parent: Kin) -> bool:
    """The parent shares p's group or session: the master (or the shell) that forked it, not an adopter."""
    return parent.pgid == p.pgid or parent.sid == p.sid


def group_abandoned(p: Kin, kin_of: Callable[[int], Kin | None]) -> dict | None:
    """Evidence from the process table alone: the group leader (the master that forked it) is gone (a zombie
    is gone too). ``kin_of``: the Kin of a pid, None when there is no such process."""
    if p.pgid == p.pid:
        return None
    if p.ppid != 1:
        parent = kin_of(p.ppid)
        if parent is None or kept_by(p, parent):
            return None
    leader = kin_of(p.pgid)
    if leader is not None and leader.state not in ("Z", "X"):
        return None
    return {"recorded_ppid": None, "ppid": p.ppid, "reparented_to": "init" if p.ppid == 1 else "subreaper",
            "lost_group_leader": p.pgid}


def orphans_among(kins: Iterable[Kin], recorded: Mapping[int, int | None],
                  kin_of: Callable[[int], Kin | None]) -> dict[int, dict]:
    """pid -> evidence for each orphan among ``kins``, the processes looked at: its recorded parent
    (``recorded``: pid -> the parent it was known to have) gone, or its group abandoned (see the module's
    docstring for the daemon that is let be)."""
    found, alone = {}, {}
    for k in kins:
        ev = reparented(k.ppid, recorded.get(k.pid))
        if ev is None:
            ev = group_abandoned(k, kin_of)
            if ev is not None and k.sid == k.pgid:
                alone[k.pid] = k.pgid
        if ev is not None:
            found[k.pid] = ev
    left = Counter(alone.values())
    return {pid: ev for pid, ev in found.items() if pid not in alone or left[alone[pid]] > 1}


@dataclass(frozen=True)
class Orphan:
    pid: int
    start_ticks: int
    ppid: int
    pool: int  # the dead master's pid (the process group it left behind)
    age_s: float
    rss: int | None
    pss: int | None
    uss: int | None
    listening: tuple[str, ...]  # addresses of the listening TCP sockets it still holds
    cmdline: str
    evidence: dict

    def to_dict(self) -> dict:
        return asdict(self)


def listening_sockets(pid: int) -> tuple[str, ...]:
    """Listening TCP addresses among pid's open fds (an orphaned worker keeps the master's listen socket)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(int(link[8:-1]))
    except OSError:
        return ()
    out = []
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{name}") as fh:
                table = procfs.parse_net_tcp(fh.read())
        except OSError:
            continue
        out += [local for inode, (local, peer) in table.items() if inode in inodes and peer is None]
    return tuple(sorted(set(out)))


def find(pattern: str | None = None, recorded: dict[int, tuple[int, int]] | None = None) -> list[Orphan]:
    """Orphans among the processes ``pattern`` selects; ``recorded``: pid -> (start_ticks, original ppid),
    e.g. from heartbeat files."""
    from forensics.fleet.memory import read_mem

    procs = snapshot()
    boot = procfs.boot_time()
    now = time.time()
    parents = {pid: ppid for pid, (start, ppid) in (recorded or {}).items()
               if pid in procs and procs[pid].start_ticks == start}
    # judged over the whole table: a group's processes left behind count whether or not the pattern selects them
    evidence = orphans_among(procs.values(), parents, lambda pid: procs.get(pid) or read_kin(pid))
    out = []
    for pid, p in sorted(select(procs, pattern).items()):
        ev = evidence.get(pid)
        if ev is None:
            continue
        mem = read_mem(pid) or {}
        pool = ev.get("lost_group_leader") or ev["recorded_ppid"]
        out.append(Orphan(pid, p.start_ticks, p.ppid, pool, round(now - boot - p.start_ticks / procfs.CLK_TCK, 1),
                          mem.get("rss"), mem.get("pss"), mem.get("uss"), listening_sockets(pid), p.cmdline, ev))
    return out


def recorded_parents(heartbeat_dir: str) -> dict[int, tuple[int, int]]:
    """pid -> (start_ticks, ppid) as the workers' heartbeat files recorded them."""
    from forensics.watch.heartbeats import read_dir

    beats = read_dir(heartbeat_dir, time.monotonic(), required=False)
    return {pid: (b.start_ticks, b.ppid) for pid, b in beats.by_pid.items() if b.ppid}
