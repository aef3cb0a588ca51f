"""Pool children whose parent is gone: the one finder behind ``hangdump orphans`` and the watchdog's rule.

Linux changes a process's parent only when the parent dies: it is re-parented to init (pid 1) or the
nearest subreaper. The evidence, strongest first (each orphan's ``basis``):

- ``heartbeat``: the parent the worker recorded itself (forensics.heartbeat: its pid and start time) is no
  longer alive (no such pid, a zombie, or the pid now names a process started at another time) and the
  worker's parent is now another process. The worker said who its master is: this is the issue's orphan,
  and the only evidence the watchdog acts on by default, unless that parent ran another program than the
  worker (``recorded_parent_same_exe`` false: a shell, so ``nohup worker &`` after the shell exited; a pool's
  master forks or spawns its workers from its own executable). A worker with a heartbeat whose recorded parent is
  still its parent is never an orphan, whatever its process group says (a daemon that double-forked before
  it made its emitter recorded init, or its subreaper, from the start).
- ``first_seen``: the same test of the parent the watchdog first saw the process with (pid and start time).
  It proves the re-parenting, not that the process was a pool's worker: ``nohup cmd &`` from a shell that
  has since exited looks the same.
- ``process_group``: never seen with another parent, fork is the witness: a child keeps its master's process
  group, so a process whose group leader is gone and whose new parent sits outside its group and its session
  (init, or a subreaper such as ``systemd --user``; a shell pipeline's member keeps its shell, the session
  leader) was left behind by a master that died. Its pool is that group: the dead master's pid. A daemon's
  double fork (fork, setsid, fork, the middle one exits: ``celery --detach``, ``gunicorn --daemon``,
  python-daemon) leaves one process whose group leader, also its session's leader, is gone; its own workers
  keep it as their parent. So a group that was its own session counts as abandoned only when two or more of
  its processes were left behind, a pool; one alone is let be. A group leader that died inside a larger
  session (``(cmd &)`` from a script that has exited) still looks abandoned: this basis is the weakest.
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

HEARTBEAT, FIRST_SEEN, PROCESS_GROUP = "heartbeat", "first_seen", "process_group"


class Kin(NamedTuple):
    """A process's family, from its /proc/PID/stat: what an orphan is judged by (fleet.table.Proc and
    watch.sampler.ProcSample have the same fields, so a process table or this scan's samples serve as well)."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    start_ticks: int


class Parent(NamedTuple):
    """The parent a process was known to have, and who recorded it (HEARTBEAT or FIRST_SEEN)."""

    pid: int
    start_ticks: int | None  # None: not known (an older emitter, or a parent gone before it could be read)
    basis: str
    same_exe: bool | None = None  # it ran the process's executable (a master does; a shell does not)


def read_kin(pid: int) -> Kin | None:
    try:
        f = read_once(f"/proc/{pid}/stat").rpartition(b")")[2].split(None, 20)
        return Kin(pid, int(f[1]), int(f[2]), int(f[3]), f[0].decode(), int(f[19]))
    except (OSError, IndexError, ValueError):
        return None


def parent_gone(parent: Parent, kin_of: Callable[[int], Kin | None]) -> str | None:
    """How the recorded parent is gone ("exited": no such pid, or a zombie; "pid reused": the pid names a
    process that started at another time), or None while it is alive."""
    p = kin_of(parent.pid)
    if p is None or p.state in ("Z", "X"):
        return "exited"
    if parent.start_ticks is not None and p.start_ticks != parent.start_ticks:
        return "pid reused"
    return None


def reparented(p: Kin, parent: Parent, kin_of: Callable[[int], Kin | None]) -> dict | None:
    """Evidence that p lost the parent recorded for it: p's parent is now another process AND the recorded
    one is no longer alive (both, since only a parent's death re-parents). None: it did not. A recorded pid 0
    (a parent outside our pid namespace) says nothing."""
    if parent.pid <= 0 or p.ppid == parent.pid:
        return None
    gone = parent_gone(parent, kin_of)
    if gone is None:
        return None
    return {"basis": parent.basis, "recorded_ppid": parent.pid, "recorded_parent_start_ticks": parent.start_ticks,
            "recorded_parent_same_exe": parent.same_exe, "recorded_parent": gone, "ppid": p.ppid,
            "reparented_to": "init" if p.ppid == 1 else "subreaper"}


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
    return {"basis": PROCESS_GROUP, "recorded_ppid": None, "ppid": p.ppid,
            "reparented_to": "init" if p.ppid == 1 else "subreaper", "lost_group_leader": p.pgid}


def orphans_among(kins: Iterable[Kin], recorded: Mapping[int, Parent],
                  kin_of: Callable[[int], Kin | None]) -> dict[int, dict]:
    """pid -> evidence for each orphan among ``kins``, the processes looked at (see the module's docstring):
    its recorded parent (``recorded``: pid -> Parent) gone; else, unless a heartbeat recorded that parent, its
    group abandoned (a daemon alone in its group is let be)."""
    found, alone = {}, {}
    for k in kins:
        parent = recorded.get(k.pid)
        ev = None if parent is None else reparented(k, parent, kin_of)
        if ev is None and (parent is None or parent.basis != HEARTBEAT):
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


def find(pattern: str | None = None, recorded: dict[int, tuple[int, Parent]] | None = None) -> list[Orphan]:
    """Orphans among the processes ``pattern`` selects; ``recorded``: pid -> (its start_ticks, the parent
    recorded for it), e.g. from heartbeat files."""
    from forensics.fleet.memory import read_mem

    procs = snapshot()
    boot = procfs.boot_time()
    now = time.time()
    parents = {pid: parent for pid, (start, parent) in (recorded or {}).items()
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


def recorded_parents(heartbeat_dir: str) -> dict[int, tuple[int, Parent]]:
    """pid -> (start_ticks, parent) as the workers' heartbeat files recorded them."""
    from forensics.watch.heartbeats import read_dir

    beats = read_dir(heartbeat_dir, time.monotonic(), required=False)
    return {pid: (b.start_ticks, Parent(b.ppid, b.parent_start, HEARTBEAT, b.parent_same_exe))
            for pid, b in beats.by_pid.items() if b.ppid}
