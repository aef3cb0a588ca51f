"""Memory of worker pools from /proc/PID/smaps_rollup, against the machine and the cgroup limit.

RSS counts every shared page in every process (a pool's RSS sum overstates it); PSS divides shared pages
among their users (sums to the real footprint); USS is what a process alone holds (what ending it frees,
and what one more prefork child costs once copy-on-write has drifted). The prefork trap: without
``--concurrency`` celery (billiard) forks ``os.cpu_count()`` children, which counts the host's CPUs, not
the cgroup's CPU quota, so a bigger host gets more children on the same memory limit.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass

from forensics.fleet.table import Proc, pools, select, snapshot
from forensics.procfs import parse_smaps_rollup

_CELERY = re.compile(r"\bcelery\b.*\bworker\b")
_CONCURRENCY_FLAG = re.compile(r"(?:^|\s)(?:--concurrency|-c|--workers|-w|--processes|-p)(?:[= ]|\d)")
BUDGET_SHARE = 0.8  # of the limit: headroom for the master's growth, page cache, a task's peak


@dataclass(frozen=True)
class ProcMem:
    pid: int
    ppid: int
    role: str  # master, child, single
    cmdline: str
    rss: int
    pss: int
    uss: int
    shared: int
    swap: int


@dataclass(frozen=True)
class Pool:
    master: int
    cmdline: str
    processes: tuple[ProcMem, ...]
    rss: int
    pss: int
    uss: int
    shared: int
    cgroup: str | None
    cgroup_limit: int | None
    advice: str | None
    suggested_concurrency: int | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Inventory:
    mem_total: int
    mem_available: int
    host_cpus: int
    pools: tuple[Pool, ...]

    def to_dict(self) -> dict:
        return {"mem_total": self.mem_total, "mem_available": self.mem_available, "host_cpus": self.host_cpus,
                "pools": [p.to_dict() for p in self.pools]}


def meminfo() -> tuple[int, int]:
    kb = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            kb[key] = int(value.split()[0]) * 1024
    return kb["MemTotal"], kb.get("MemAvailable", kb.get("MemFree", 0))


def _first_line(path: str) -> str | None:
    try:
        with open(path) as fh:
            return fh.readline().strip()
    except OSError:
        return None


def cgroup_of(pid: int) -> str | None:
    """The cgroup v2 path of pid ('0::/system.slice/x.service' -> '/system.slice/x.service')."""
    try:
        with open(f"/proc/{pid}/cgroup") as fh:
            for line in fh:
                if line.startswith("0::"):
                    return line[3:].strip()
    except OSError:
        pass
    return None


def cgroup_limit(path: str | None, root: str = "/sys/fs/cgroup") -> int | None:
    """The tightest memory.max from the cgroup up to the root (a parent's limit binds its children)."""
    if path is None:
        return None
    limits = []
    parts = [p for p in path.split("/") if p]
    for i in range(len(parts), -1, -1):
        value = _first_line(os.path.join(root, *parts[:i], "memory.max"))
        if value and value.isdigit():
            limits.append(int(value))
    return min(limits) if limits else None


def cgroup_cpus(path: str | None, root: str = "/sys/fs/cgroup") -> float | None:
    """CPUs the cgroup's quota allows (cpu.max 'quota period'); None when unlimited."""
    if path is None:
        return None
    value = _first_line(os.path.join(root, *[p for p in path.split("/") if p], "cpu.max"))
    if not value or value.startswith("max"):
        return None
    quota, _, period = value.partition(" ")
    return int(quota) / int(period or 100000)


def read_mem(pid: int) -> dict[str, int] | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return parse_smaps_rollup(fh.read())
    except OSError:
        return None


def suggest(budget: int, pool_pss: int, child_uss: list[int]) -> int | None:
    """Children that fit ``budget``: what the pool shares is paid once (its PSS minus the children's own
    memory), each child adds its USS at today's copy-on-write drift."""
    if not child_uss:
        return None
    per_child = sum(child_uss) / len(child_uss)
    if per_child <= 0:
        return None
    return max(0, math.floor((budget - (pool_pss - sum(child_uss))) / per_child))


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def prefork(master: Proc, children: list[Proc]) -> bool:
    """Forked without exec (the children carry the master's command line), or a celery worker (which may
    retitle its children)."""
    return bool(children) and (bool(_CELERY.search(master.cmdline)) or all(c.cmdline == master.cmdline for c in children))


def advise(master: Proc, children: int, pool_pss: int, limit: int, limit_name: str, host_cpus: int,
           quota_cpus: float | None, suggested: int | None, budget: int) -> str | None:
    """The prefork trap in words, when a prefork pool has one child per host CPU and no concurrency set."""
    if children == 0 or children != host_cpus or _CONCURRENCY_FLAG.search(master.cmdline):
        return None
    quota = f", while its cgroup allows {quota_cpus:g} CPUs" if quota_cpus else ""
    per = pool_pss / (children + 1)
    text = (f"{children} children = {host_cpus} host CPUs and no --concurrency: a prefork pool (celery counts "
            f"host CPUs, not the cgroup quota) forks one child per CPU{quota}, so a bigger host gets more children, "
            f"not more headroom: {children + 1} processes x {_gib(per)} = {_gib(pool_pss)} of {_gib(limit)} "
            f"({limit_name})")
    if suggested is not None:
        text += f"; --concurrency={suggested} fits {_gib(budget)} ({BUDGET_SHARE:.0%} of it)"
    return text


def inventory(pattern: str | None = None, budget: int | None = None) -> Inventory:
    total, available = meminfo()
    host_cpus = os.cpu_count() or 1
    selected = select(snapshot(), pattern)
    out = []
    for master, members in pools(selected).items():
        procs = []
        for pid in members:
            m = read_mem(pid)
            if m is None:
                continue
            role = "single" if len(members) == 1 else ("master" if pid == master else "child")
            p = selected[pid]
            procs.append(ProcMem(pid, p.ppid, role, p.cmdline, m["rss"], m["pss"], m["uss"], m["shared"], m["swap"]))
        if not procs:
            continue
        cg = cgroup_of(master)
        limit = cgroup_limit(cg)
        bound, bound_name = (limit, "the cgroup limit") if limit is not None and limit < total else (total, "RAM")
        pool_budget = budget if budget is not None else int(bound * BUDGET_SHARE)
        kids = [p for p in procs if p.role == "child"]
        pss = sum(p.pss for p in procs)
        suggested = suggest(pool_budget, pss, [p.uss for p in kids])
        forked = prefork(selected[master], [selected[p.pid] for p in kids])
        advice = None if not forked else advise(selected[master], len(kids), pss, bound, bound_name, host_cpus, cgroup_cpus(cg),
                        suggested, pool_budget)
        out.append(Pool(master, selected[master].cmdline, tuple(procs), sum(p.rss for p in procs), pss,
                        sum(p.uss for p in procs), sum(p.shared for p in procs), cg, limit, advice,
                        suggested if kids else None))
    out.sort(key=lambda p: -p.pss)
    return Inventory(total, available, host_cpus, tuple(out))
