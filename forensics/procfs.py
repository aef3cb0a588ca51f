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
from forensics.redact import redact_argv
from forensics.syscalls import syscall_name

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from forensics.proclocks import LockEntry

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


def status_field(text: str, key: str) -> str | None:
    """One field of a status file, found from the end (the per-thread fields a capture wants are the last ones):
    read for every thread of a 1,000-thread pool, a regex or a full parse costs more than the read."""
    tag = f"\n{key}:"
    i = text.rfind(tag)
    if i < 0:
        return None
    end = text.find("\n", i + len(tag))
    return text[i + len(tag): end if end >= 0 else len(text)].strip()


def context_switches(status_text: str) -> tuple[int | None, int | None]:
    """(voluntary, nonvoluntary) from a status file; the two lines a watchdog samples on every tick."""
    vol = status_field(status_text, "voluntary_ctxt_switches")
    nonvol = status_field(status_text, "nonvoluntary_ctxt_switches")
    return (int(vol) if vol and vol.isdigit() else None, int(nonvol) if nonvol and nonvol.isdigit() else None)


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
    args = tuple([int(a, 16) for a in fields[1:7]])
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


def read_status_text(pid: int) -> str:
    try:
        return _read(f"/proc/{pid}/status")
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


def namespace_tids(snapshot: dict[int, tuple[str | None, ...]]) -> dict[int, int]:
    """tid in the target's own pid namespace -> tid here, for a target in a nested one (a container): py-spy
    names such a target's threads by the former. From each thread's ``NSpid`` status line; {} when not nested."""
    out = {}
    for tid, texts in snapshot.items():
        nspid = (status_field(texts[3] or "", "NSpid") or "").split()
        if len(nspid) > 1 and nspid[-1].isdigit():
            out[int(nspid[-1])] = tid
        elif texts[3] and not out:  # the first thread read is not nested: neither is any (one pid namespace)
            return out
    return out


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


def descendants(pid: int, limit: int | None = None) -> list[int]:
    """Every process below pid (stopping once ``limit`` are found), breadth first; processes that vanish
    meanwhile are skipped."""
    out: list[int] = []
    todo = [pid]
    while todo and (limit is None or len(out) < limit):
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
    status = read_status_text(pid)  # two fields of its ~55: found, not parsed (a pool reads one per target)
    cmdline = read_cmdline(pid)
    try:
        exe: str | None = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = None
    # the interpreter's file name usually says the version; the (large) maps only for embedders (uwsgi, ...)
    version = python_version_from_maps("", exe) or python_version_from_maps(
        _optional(f"/proc/{pid}/maps") or "", exe
    )
    mem = parse_smaps_rollup(_optional(f"/proc/{pid}/smaps_rollup") or "")
    uid = (status_field(status, "Uid") or "").split()
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
        rss=mem["rss"] or _kb(status_field(status, "VmRSS")),
        pss=mem["pss"] or None,
        uss=mem["uss"] or None,
        shared=mem["shared"] or None,
        swap=mem["swap"],
        num_threads=st.num_threads,
        children=kids,
        uid=int(uid[0]) if uid else None,
    )


def read_cmdline(pid: int) -> tuple[str, ...]:
    """The arguments of pid, secrets masked (forensics/redact.py): anything recorded from /proc comes through here.

    Always redacted: the command line is recorded without being asked for, unlike --locals.
    """
    raw = _optional(f"/proc/{pid}/cmdline") or ""
    return redact_argv([a for a in raw.split("\0") if a])


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


def parse_net_udp(text: str) -> dict[int, tuple[str, str | None]]:
    """inode -> (``udp LOCAL``, peer) from /proc/PID/net/udp or udp6; peer is None for an unconnected socket (one
    that takes datagrams from anyone: a datagram server's)."""
    out = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 10 or not f[9].isdigit():
            continue
        remote = parse_inet_address(f[2])
        out[int(f[9])] = (f"udp {parse_inet_address(f[1])}", None if remote.endswith(":0") else remote)
    return out


# A read or write on a pipe waits for whoever holds the other end; flock and fcntl(F_SETLKW) for a lock's holder.
_PIPE_READS = frozenset({"read", "readv"})
_PIPE_WRITES = frozenset({"write", "writev"})
F_SETLKW, F_OFD_SETLKW = 7, 38
# How far the search for a pipe's other end may go: a capture must stay fast on a busy host.
PARTY_MAX_PROCS = 200
PARTY_MAX_FDS = 2000
PARTY_SHOWN = 3
CMDLINE_WIDTH = 60


def resolve_fds(pid: int, kernel: dict[int, tuple[str, KernelState]],
                scans: Scans | None = None) -> dict[int, tuple[str, KernelState]]:
    """Say what each blocked thread's file descriptor is and, where cheap to know, who is at the other end.

    TCP sockets get both addresses; a pipe read (write) the process(es) holding its write (read) end; a
    flock or fcntl(F_SETLKW) wait the holder of the lock (see pipe_parties, lock_parties). Read at capture
    time on purpose: the fd table and sockets are gone with the process. Never raises: unknown stays None.
    ``scans``: what the other captures of the same call already read of the host (see Scans).
    """
    from forensics.records import replace

    scans = scans or Scans()
    sockets: dict[int, tuple[str, str | None]] | None = None
    out = dict(kernel)
    pipes: dict[int, tuple[int, bool, int]] = {}  # tid -> (pipe inode, wants a writer, its fd)
    locks: dict[int, int] = {}  # tid -> fd of the file it waits to lock
    for tid, (comm, ks) in kernel.items():
        sc = ks.syscall
        if sc is None or sc.name not in FD_SYSCALLS or not sc.args or sc.args[0] >= 1 << 31:
            continue
        fd = sc.args[0]
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        local = peer = None
        if target.startswith("socket:[") and target.endswith("]"):
            if sockets is None:
                sockets = scans.tcp(pid)
            inode = int(target[8:-1])
            local, peer = sockets.get(inode) or scans.udp(pid).get(inode, (None, None))
        elif (inode := pipe_inode(target)) is not None and sc.name in _PIPE_READS | _PIPE_WRITES:
            pipes[tid] = (inode, sc.name in _PIPE_READS, fd)
        elif sc.name == "flock" or (sc.name == "fcntl" and len(sc.args) > 1 and sc.args[1] in (F_SETLKW, F_OFD_SETLKW)):
            locks[tid] = fd
        out[tid] = (comm, replace(ks, fd_target=target, local=local, peer=peer))
    peers = {**pipe_parties(pid, pipes, scans), **lock_parties(pid, locks, scans)}
    for tid, peer in peers.items():
        if peer is not None:
            comm, ks = out[tid]
            out[tid] = (comm, replace(ks, peer=peer))
    from forensics.watched_fds import watches  # what a thread in epoll_wait/poll/select waits on

    for tid, said in watches(pid, out, scans).items():
        comm, ks = out[tid]
        out[tid] = (comm, replace(ks, watches=said))
    return out


def pipe_inode(link: str) -> int | None:
    """'pipe:[706346]' -> 706346; None for anything else."""
    if link.startswith("pipe:[") and link.endswith("]") and link[6:-1].isdigit():
        return int(link[6:-1])
    return None


def cmdline_text(raw: str, width: int = CMDLINE_WIDTH) -> str:
    """A /proc/PID/cmdline (NUL separated) as one short line: whitespace runs collapsed, cut at width."""
    text = " ".join(raw.replace("\0", " ").split())  # newlines and tabs in an argument too
    return text if len(text) <= width else text[: width - 3] + "..."


def process_label(pid: int) -> str:
    """'pid 11627 (sleep 3600)'; the [comm] when there is no command line (kernel thread, zombie); bare if gone."""
    text = cmdline_text("\0".join(read_cmdline(pid)))
    if not text:
        comm = (_optional(f"/proc/{pid}/comm") or "").strip()
        text = f"[{comm}]" if comm else ""
    return f"pid {pid} ({text})" if text else f"pid {pid}"


def party_text(others: list[int], self_held: bool, target: int, label=process_label) -> str | None:
    """The peer field for a pipe's other end or a lock's holder: other processes first, else the target itself."""
    if others:
        shown = [label(p) for p in others[:PARTY_SHOWN]]
        if len(others) > PARTY_SHOWN:
            shown.append(f"+{len(others) - PARTY_SHOWN} more")
        return ", ".join(shown)
    if self_held:
        return f"this process (pid {target})"
    return None


# --- the other end of a pipe ---------------------------------------------------------------------------------------


class FdBudget:
    """What one capture may spend looking through other processes' fd tables (shared by all its threads)."""

    def __init__(self, procs: int = PARTY_MAX_PROCS, fds: int = PARTY_MAX_FDS) -> None:
        self.procs = procs
        self.fds = fds


def fd_links(pid: int, budget: FdBudget) -> dict[int, str]:
    """fd -> link target of one process, within the budget; {} when unreadable, gone or out of budget."""
    if budget.procs <= 0 or budget.fds <= 0:
        return {}
    budget.procs -= 1
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return {}
    out = {}
    for name in names:
        if budget.fds <= 0:
            break
        budget.fds -= 1
        try:
            out[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except (OSError, ValueError):
            continue
    return out


def parse_fdinfo_access(text: str) -> int | None:
    """O_RDONLY (0), O_WRONLY (1) or O_RDWR (2) from a /proc/PID/fdinfo/FD ('flags:' is octal)."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key == "flags":
            try:
                return int(value.strip(), 8) & 3
            except ValueError:
                return None
    return None


def fd_access(pid: int, fd: int) -> int | None:
    text = _optional(f"/proc/{pid}/fdinfo/{fd}")
    return parse_fdinfo_access(text) if text else None


def process_family(pid: int, limit: int = PARTY_MAX_PROCS) -> list[int]:
    """The target's children (recursively, breadth first), its parent, then its siblings: at most limit pids."""
    family = descendants(pid, limit)
    try:
        ppid = read_stat(pid).ppid
    except (TargetNotFound, PermissionDenied, OSError, ValueError):
        ppid = 0
    if ppid > 0:
        family.append(ppid)
        try:
            family.extend(k for k in children(ppid) if k != pid)
        except (TargetNotFound, PermissionDenied):
            pass
    return [p for p in dict.fromkeys(family) if p != pid][:limit]


def other_pids(pid: int) -> list[int]:
    """Every process on the host but pid, nearest pid first (a daemonized grandchild is usually close)."""
    try:
        pids = [int(n) for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return []
    return sorted((p for p in pids if p != pid), key=lambda p: (abs(p - pid), p))


def find_pipe_ends(
    target: int,
    wanted: set[tuple[int, bool]],
    own_fds: set[int],
    *,
    links=fd_links,
    access=fd_access,
    family=process_family,
    everyone=other_pids,
    budget: FdBudget | None = None,
) -> dict[tuple[int, bool], tuple[list[int], bool]]:
    """For each (pipe inode, wants a writer): the other processes holding that end, and whether the target does.

    The target and its family (process_family) are looked through first; the rest of the host only for a pipe
    still without any holder, nearest pid first, until every pipe has one or the budget is spent. own_fds are
    the target's fds its threads wait on: never their own other end. links/access/family/everyone read /proc.
    """
    budget = budget or FdBudget()
    found: dict[tuple[int, bool], list[int]] = {key: [] for key in wanted}
    self_held: set[tuple[int, bool]] = set()
    inodes = {inode for inode, _ in wanted}

    def scan(pid: int) -> None:
        for fd, link in links(pid, budget).items():
            inode = pipe_inode(link)
            if inode not in inodes:
                continue
            mode = access(pid, fd)
            if mode is None and pid == target and fd in own_fds:
                continue  # the waiter's own end, when fdinfo cannot tell which end it is
            for wants_writer in (True, False):
                key = (inode, wants_writer)
                if key not in found or (mode is not None and mode == (0 if wants_writer else 1)):
                    continue
                if pid == target:
                    self_held.add(key)
                elif pid not in found[key]:
                    found[key].append(pid)

    def unresolved() -> bool:
        return any(not pids and key not in self_held for key, pids in found.items())

    scanned = {target}
    scan(target)
    for pid in family(target, budget.procs):
        scanned.add(pid)
        scan(pid)
    if unresolved():
        for pid in everyone(target):
            if budget.procs <= 0 or budget.fds <= 0 or not unresolved():
                break
            if pid not in scanned:
                scan(pid)
    return {key: (pids, key in self_held) for key, pids in found.items()}


def pipe_parties(pid: int, pipes: dict[int, tuple[int, bool, int]], scans: Scans | None = None) -> dict[int, str | None]:
    """tid -> peer for threads blocked on a pipe (tid -> (inode, wants a writer, fd)); None where unknown."""
    if not pipes:
        return {}
    scans = scans or Scans()
    try:
        ends = find_pipe_ends(pid, {(inode, w) for inode, w, _ in pipes.values()}, {fd for _, _, fd in pipes.values()},
                              links=scans.links, access=scans.access)
    except (OSError, ValueError, TargetNotFound, PermissionDenied):
        return {}
    out: dict[int, str | None] = {}
    for tid, (inode, wants_writer, _) in pipes.items():
        others, self_held = ends.get((inode, wants_writer), ([], False))
        out[tid] = party_text(others, self_held, pid, scans.label)
    return out


# --- the holder of a file lock -------------------------------------------------------------------------------------


def lock_parties(pid: int, locks: dict[int, int], scans: Scans | None = None) -> dict[int, str | None]:
    """tid -> peer for threads waiting in flock/fcntl(F_SETLKW) on the file behind fd (tid -> fd)."""
    if not locks:
        return {}
    from forensics.proclocks import lock_holders

    scans = scans or Scans()
    out: dict[int, str | None] = {}
    try:
        entries = scans.locks()
        for tid, fd in locks.items():
            try:
                st = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            others, self_held = lock_holders(entries, (os.major(st.st_dev), os.minor(st.st_dev)), st.st_ino, pid)
            out[tid] = party_text(others, self_held, pid, scans.label)
    except ValueError:
        return {}
    return out


class Scans:
    """What the captures of one call read about the rest of the host, read once for all of them: other
    processes' fd tables, fd modes and labels, /proc/locks, each network namespace's TCP sockets. The
    workers of one pool share a master and siblings, so each capture would otherwise read all of them
    again. Each capture's FdBudget is still charged as if it had read them itself."""

    def __init__(self) -> None:
        self._links: dict[int, dict[int, str]] = {}
        self._access: dict[tuple[int, int], int | None] = {}
        self._labels: dict[int, str] = {}
        self._locks: list[LockEntry] | None = None
        self._tcp: dict[int, dict[int, tuple[str, str | None]]] = {}
        self._udp: dict[int, dict[int, tuple[str, str | None]]] = {}

    def links(self, pid: int, budget: FdBudget) -> dict[int, str]:
        """fd_links, each process's table read once (in full, up to PARTY_MAX_FDS) and cut to the budget."""
        if budget.procs <= 0 or budget.fds <= 0:
            return {}
        if pid not in self._links:
            self._links[pid] = fd_links(pid, FdBudget(1, PARTY_MAX_FDS))
        budget.procs -= 1
        table = self._links[pid]
        if len(table) > budget.fds:
            table = dict(list(table.items())[:budget.fds])
        budget.fds -= len(table)
        return table

    def access(self, pid: int, fd: int) -> int | None:
        if (pid, fd) not in self._access:
            self._access[(pid, fd)] = fd_access(pid, fd)
        return self._access[(pid, fd)]

    def label(self, pid: int) -> str:
        if pid not in self._labels:
            self._labels[pid] = process_label(pid)
        return self._labels[pid]

    def locks(self) -> list[LockEntry]:
        if self._locks is None:
            from forensics.proclocks import parse_locks

            self._locks = parse_locks(_optional("/proc/locks") or "")
        return self._locks

    def tcp(self, pid: int) -> dict[int, tuple[str, str | None]]:
        """inode -> (local, peer) of the TCP sockets of pid's network namespace."""
        return self._sockets(pid, self._tcp, ("tcp", "tcp6"), parse_net_tcp)

    def udp(self, pid: int) -> dict[int, tuple[str, str | None]]:
        """inode -> (``udp LOCAL``, peer) of the UDP sockets of pid's network namespace (read only when a blocked
        socket is in no TCP table)."""
        return self._sockets(pid, self._udp, ("udp", "udp6"), parse_net_udp)

    @staticmethod
    def _sockets(pid: int, cache: dict, names: tuple[str, str], parse) -> dict[int, tuple[str, str | None]]:
        try:
            netns = os.stat(f"/proc/{pid}/ns/net").st_ino
        except OSError:
            netns = None
        if netns is not None and netns in cache:
            return cache[netns]
        sockets: dict[int, tuple[str, str | None]] = {}
        for name in names:
            sockets.update(parse(_optional(f"/proc/{pid}/net/{name}") or ""))
        if netns is not None:
            cache[netns] = sockets
        return sockets


_LAZY = {"LockEntry", "parse_locks", "lock_holders"}  # forensics/proclocks.py, imported on first use


def __getattr__(name: str):
    if name in _LAZY:
        from forensics import proclocks

        return getattr(proclocks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
