"""The fds a thread blocked in a multiplexer waits on, each said in a word or two (KernelState.watches).

A server idle in ``selector.select()`` and a thread hung on a connection that never answers are both "epoll_wait
with no timeout"; what they watch tells them apart (a listening socket: waiting for clients, by design). The
kernel keeps an epoll's set in /proc/PID/fdinfo/EPFD (``tfd:`` lines); poll's pollfd array and select's fd_set
bitmaps are in the target's memory, read from /proc/PID/mem without stopping it. Each fd is then described from
its /proc/PID/fd link and the socket tables of the target's network namespace. Never raises: a short or failed
read is no fact (None), never an error.
"""
from __future__ import annotations

import os
import re
import sys

from forensics import lazy
from forensics.procraw import read_optional

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from collections.abc import Callable

    from forensics.model import KernelState
    from forensics.procfs import Scans

EPOLL_WAITS = frozenset({"epoll_wait", "epoll_pwait", "epoll_pwait2"})
POLLS = frozenset({"poll", "ppoll"})
SELECTS = frozenset({"select", "pselect6"})
MULTIPLEXERS = EPOLL_WAITS | POLLS | SELECTS
WATCHES_SHOWN = 64  # fds described per thread; past it a last item ``more N``
POLLFD_SIZE = 8  # struct pollfd: int fd, short events, short revents
SELECT_MAX_FDS = 8192  # fd_set bits read per set (glibc's FD_SETSIZE is 1024; the kernel takes more)
LONG = 8 if sys.maxsize > 1 << 32 else 4  # an fd_set is an array of longs
SO_ACCEPTCON = 0x10000  # /proc/net/unix Flags of a listening socket
# one line per socket: Num: RefCount Protocol Flags Type St Inode [Path]; a busy host lists thousands
_UNIX_NAMED = lazy.compile(r"^[0-9a-fA-F]+: [0-9a-fA-F]+ [0-9a-fA-F]+ ([0-9a-fA-F]+) [0-9a-fA-F]+ [0-9a-fA-F]+ +(\d+) (.+)$",
                           re.MULTILINE)
_TFD = lazy.compile(r"^tfd:\s*(\d+) .*? ino:([0-9a-f]+)", re.MULTILINE)
_ANON = {"eventfd": "eventfd", "timerfd": "timerfd", "signalfd": "signalfd", "eventpoll": "epoll",
         "inotify": "inotify", "pidfd": "pidfd"}


def parse_epoll_fdinfo(text: str) -> list[tuple[int, int]]:
    """(fd, inode) of each file an epoll watches, from its /proc/PID/fdinfo/EPFD (``tfd: 5 events: 19 data: 5
    pos:0 ino:61d sdev:7`` lines; the inode in hex). The fd is the number it was registered under, which
    may name another file since (see watches)."""
    return [(int(fd), int(ino, 16)) for fd, ino in _TFD.findall(text)]


def parse_pollfds(data: bytes) -> list[int]:
    """The fds of a struct pollfd array (native byte order); negative fds are ignored by the kernel, here too."""
    out = []
    for i in range(0, len(data) - POLLFD_SIZE + 1, POLLFD_SIZE):
        fd = int.from_bytes(data[i:i + 4], sys.byteorder, signed=True)
        if fd >= 0:
            out.append(fd)
    return out


def parse_fd_set(data: bytes, nfds: int) -> list[int]:
    """The fds below nfds set in an fd_set (an array of longs, bit fd % bits of long fd // bits)."""
    out = []
    for w in range(0, len(data) - LONG + 1, LONG):
        bits = int.from_bytes(data[w:w + LONG], sys.byteorder)
        while bits:
            low = bits & -bits
            fd = w * 8 + low.bit_length() - 1
            if fd < nfds:
                out.append(fd)
            bits ^= low
    return out


def parse_net_unix(text: str) -> dict[int, tuple[bool, str]]:
    """inode -> (listening, path) of the named sockets in /proc/PID/net/unix (``@name``: abstract). An unnamed
    socket is never listening (listen() on one binds it to an abstract name), so the others are plain ``unix``."""
    return {int(inode): (bool(int(flags, 16) & SO_ACCEPTCON), path) for flags, inode, path in _UNIX_NAMED.findall(text)}


def describe(link: str, protocol: str | None, tcp: Callable[[], dict[int, tuple[str, str | None]]],
             unix: Callable[[], dict[int, tuple[bool, str]]],
             udp: Callable[[], dict[int, tuple[str, str | None]]] | None = None) -> str:
    """One watched fd from its /proc/PID/fd link, in KernelState.watches' grammar. ``protocol``: a socket's
    ``system.sockprotoname`` (TCP, TCPv6, UNIX-STREAM, UDP, ...; None: unknown), which says which table to read
    (a busy host's TCP table costs ~20 ms to parse); ``tcp``/``unix``/``udp``: the tables, on demand (UDP only
    when the protocol says so). An unconnected datagram socket takes datagrams from anyone, as a listening socket
    takes clients: ``listen udp HOST:PORT``."""
    if link.startswith("socket:[") and link.endswith("]") and link[8:-1].isdigit():
        inode = int(link[8:-1])
        if protocol is None or protocol.startswith("TCP"):
            sockets = tcp()
            if inode in sockets:
                local, peer = sockets[inode]
                return f"listen tcp {local}" if peer is None else f"tcp {local}->{peer}"
        if protocol is None or protocol.startswith("UNIX"):
            sock = unix().get(inode)
            if sock is not None:
                return f"listen unix {sock[1]}" if sock[0] else f"unix {sock[1]}"
            if protocol is not None:
                return "unix"
        if udp is not None and protocol is not None and protocol.startswith("UDP"):
            sock = udp().get(inode)
            if sock is not None:
                local = sock[0].removeprefix("udp ")
                return f"listen udp {local}" if sock[1] is None else f"udp {local}->{sock[1]}"
        return "socket"
    if link.startswith("pipe:["):
        return "pipe"
    if link.startswith("anon_inode:"):
        return _ANON.get(link[11:].strip("[]"), "other")
    if link.startswith("/"):
        return f"file {link}"
    return "other"


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _protocol(path: str) -> str | None:
    try:
        return os.getxattr(path, "system.sockprotoname").rstrip(b"\0").decode("ascii", "replace")
    except (OSError, AttributeError):
        return None


def _link(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _still_in(pid: int, tid: int, args: tuple[int, ...]) -> bool:
    """Whether the thread still waits in the call whose fd sets were just read from its memory: one that returned
    meanwhile leaves its stack to the next call (select's fd_sets are on it), which would read as other fds. A
    thread stopped by a tracer still shows its call, a poll() it interrupted as restart_syscall, same arguments."""
    fields = (read_optional(f"/proc/{pid}/task/{tid}/syscall") or "").split()
    try:
        return len(fields) > 4 and tuple(int(a, 16) for a in fields[1:5]) == args[:4]
    except ValueError:
        return False


class _Memory:
    """The target's memory, opened once per capture and only if a poll or select needs it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None

    def read(self, address: int, size: int) -> bytes | None:
        """Exactly size bytes at address, or None (unmapped, refused, gone)."""
        if not address or size <= 0:
            return None
        try:
            if self.fd is None:
                self.fd = os.open(f"/proc/{self.pid}/mem", os.O_RDONLY | os.O_CLOEXEC)
            data = os.pread(self.fd, size, address)
        except (OSError, OverflowError, ValueError):
            return None
        return data if len(data) == size else None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def multiplexer(ks: KernelState) -> str | None:
    """The multiplexer the thread waits in, if any. A poll() a tracer interrupted (py-spy, gdb, an earlier
    capture) goes on as restart_syscall (its timeout is kept in the kernel's restart block; select, ppoll and
    epoll re-enter themselves), whose argument registers are still poll's, so ``wchan`` in poll's wait says it."""
    sc = ks.syscall
    if sc is None:
        return None
    if sc.name == "restart_syscall" and (ks.wchan or "").startswith("poll_schedule_timeout"):
        return "poll"
    return sc.name if sc.name in MULTIPLEXERS else None


def watched(pid: int, name: str, args: tuple[int, ...], memory: _Memory) -> list[tuple[int, int | None]] | None:
    """(fd, inode registered: epoll only, else None) the multiplexer call ``name(args)`` waits on, sorted, each
    once; None when they could not be read."""
    if len(args) < 4:
        return None
    if name in EPOLL_WAITS:
        if args[0] >= 1 << 31 or _link(f"/proc/{pid}/fd/{args[0]}") != "anon_inode:[eventpoll]":
            return None
        text = read_optional(f"/proc/{pid}/fdinfo/{args[0]}")
        if text is None:
            return None
        return sorted(set(parse_epoll_fdinfo(text)))
    if name in POLLS:
        nfds = args[1]
        if nfds == 0:
            return []
        data = memory.read(args[0], min(nfds, SELECT_MAX_FDS) * POLLFD_SIZE)
        if data is None:
            return None
        fds = parse_pollfds(data)
    else:
        nfds = min(args[0], SELECT_MAX_FDS)
        size = (nfds + 8 * LONG - 1) // (8 * LONG) * LONG
        fds = []
        for address in args[1:4]:
            if not address:
                continue
            data = memory.read(address, size)
            if data is None:
                return None
            fds.extend(parse_fd_set(data, nfds))
    return [(fd, None) for fd in sorted(set(fds))]


def watches(pid: int, kernel: dict[int, tuple[str, KernelState]], scans: Scans) -> dict[int, tuple[str, ...]]:
    """tid -> KernelState.watches for each thread of pid blocked in a multiplexer whose fds could be read.
    Each fd is said once per call: the threads of a pool watch the same listener."""
    memory = _Memory(pid)
    tables: dict[str, dict] = {}

    def tcp() -> dict[int, tuple[str, str | None]]:
        if "tcp" not in tables:
            tables["tcp"] = scans.tcp(pid)
        return tables["tcp"]

    def udp() -> dict[int, tuple[str, str | None]]:
        if "udp" not in tables:
            tables["udp"] = scans.udp(pid)
        return tables["udp"]

    def unix() -> dict[int, tuple[bool, str]]:
        if "unix" not in tables:
            tables["unix"] = parse_net_unix(read_optional(f"/proc/{pid}/net/unix") or "")
        return tables["unix"]

    def said(fd: int, inode: int | None) -> str:
        """Closed: the fd no longer names the file registered under it (epoll forgets a file only on its last
        close: a forked child may keep it, and the number may name another file since)."""
        if (fd, inode) not in known:
            path = f"/proc/{pid}/fd/{fd}"
            link = _link(path)
            if link is None or inode is not None and _inode(path) != inode:
                known[(fd, inode)] = "closed"
            else:
                known[(fd, inode)] = describe(link, _protocol(path) if link.startswith("socket:") else None, tcp, unix,
                                              udp)
        return known[(fd, inode)]

    known: dict[tuple[int, int | None], str] = {}
    out: dict[int, tuple[str, ...]] = {}
    try:
        for tid, (_, ks) in kernel.items():
            name = multiplexer(ks)
            if name is None:
                continue
            args = ks.syscall.args
            fds = watched(pid, name, args, memory)
            if fds is None or name not in EPOLL_WAITS and not _still_in(pid, tid, args):
                continue
            shown = [said(fd, inode) for fd, inode in fds[:WATCHES_SHOWN]]
            if len(fds) > WATCHES_SHOWN:
                shown.append(f"more {len(fds) - WATCHES_SHOWN}")
            out[tid] = tuple(shown)
    finally:
        memory.close()
    return out
