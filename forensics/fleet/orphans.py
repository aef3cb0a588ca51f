"""Pool children whose parent is gone: the one finder behind ``hangdump orphans`` and the watchdog's rule.

Linux changes a process's parent only when the parent dies: it is re-parented to init (pid 1) or the
nearest subreaper. With a recorded parent (a heartbeat's ppid, or the watchdog's first sample) that is
proof. Without one, fork is the witness: a child keeps its master's process group, so a process whose
group leader is gone and whose new parent sits outside its group and its session (init, or a subreaper
such as ``systemd --user``; a shell pipeline's member keeps its shell, the session leader) was left behind
by a master that died. Its pool is that group: the dead master's pid.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

from forensics import procfs
from forensics.fleet.table import Proc, select, snapshot


def reparented(ppid: int, recorded_ppid: int | None) -> dict | None:
    """Evidence that a process with a known original parent lost it (None: it did not)."""
    if recorded_ppid is None or ppid == recorded_ppid:
        return None
    return {"recorded_ppid": recorded_ppid, "ppid": ppid, "reparented_to": "init" if ppid == 1 else "subreaper"}


def group_abandoned(p: Proc, procs: dict[int, Proc]) -> dict | None:
    """Evidence from the process table alone: the group leader (the master that forked it) is gone."""
    if p.pgid == p.pid or p.pgid in procs or _alive(p.pgid):
        return None
    parent = procs.get(p.ppid)
    if p.ppid != 1 and (parent is None or parent.pgid == p.pgid or parent.sid == p.sid):
        return None
    return {"recorded_ppid": None, "ppid": p.ppid, "reparented_to": "init" if p.ppid == 1 else "subreaper",
            "lost_group_leader": p.pgid}


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


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
    out = []
    for pid, p in sorted(select(procs, pattern).items()):
        rec = (recorded or {}).get(pid)
        ev = reparented(p.ppid, rec[1]) if rec is not None and rec[0] == p.start_ticks else None
        ev = ev or group_abandoned(p, procs)
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
