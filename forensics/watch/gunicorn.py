"""gunicorn's own heartbeat, read from outside: the mtime of the temp file each worker holds open.

Each worker notifies its arbiter by ``os.utime`` on an unlinked ``wgunicorn-*`` temp file (gunicorn's
WorkerTmp), stamping it with its ``time.monotonic()``; the arbiter kills a worker whose stamp is older than
``--timeout`` (SIGABRT, then SIGKILL) and keeps no stack. Every worker closes its siblings' files after the
fork, and the arbiter holds them all, so a process holding one such file that its parent holds too is a
worker of that arbiter. Its stamp, through ``/proc/PID/fd``, is a beat on the same clock as ours; an idle
sync worker stamps at least every ``timeout / 2`` s, so a share above one half of the timeout lets the
watchdog capture a stuck worker before the arbiter kills it.
"""
from __future__ import annotations

import os
import re

from forensics.watch.heartbeats import Beat

DEFAULT_TIMEOUT_S = 30.0  # gunicorn's default --timeout
_TIMEOUT = re.compile(r"(?:^|\s)(?:--timeout[= ]|-t\s*)(\d+(?:\.\d+)?)")


def _fds(pid: int):
    """(fd, link, stat) of each open fd of pid that can still be read."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return
    for name in names:
        try:
            path = f"/proc/{pid}/fd/{name}"
            yield int(name), os.readlink(path), os.stat(path)
        except OSError:
            continue


def tmp_fd(pid: int) -> tuple[int, int, int] | None:
    """(fd, st_dev, st_ino) of the WorkerTmp file pid holds, or None (exactly one: a worker)."""
    found = [(fd, st.st_dev, st.st_ino) for fd, link, st in _fds(pid) if "/wgunicorn-" in link]
    return found[0] if len(found) == 1 else None


def parent_holds(ppid: int, dev: int, ino: int) -> bool:
    return any(st.st_ino == ino and st.st_dev == dev for _, _, st in _fds(ppid))


def timeout_of(arbiter: int) -> tuple[float, str]:
    """The arbiter's --timeout from its command line or GUNICORN_CMD_ARGS, else gunicorn's default."""
    try:
        with open(f"/proc/{arbiter}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        cmd = ""
    m = _TIMEOUT.search(cmd)
    if m:
        return float(m.group(1)), "command line"
    try:
        with open(f"/proc/{arbiter}/environ", "rb") as fh:
            env = dict(kv.partition(b"=")[::2] for kv in fh.read().split(b"\0") if kv)
    except OSError:
        env = {}
    m = _TIMEOUT.search(env.get(b"GUNICORN_CMD_ARGS", b"").decode("utf-8", "replace"))
    if m:
        return float(m.group(1)), "GUNICORN_CMD_ARGS"
    return DEFAULT_TIMEOUT_S, "gunicorn's default (a config file's timeout is not read)"


def worker_beat(pid: int, ppid: int, start_ticks: int, share: float) -> Beat | None:
    """The beat of a gunicorn worker (None when pid is not one), held to ``share`` of its arbiter's timeout."""
    held = tmp_fd(pid)
    if held is None or not parent_holds(ppid, held[1], held[2]):
        return None
    try:
        stamp = os.stat(f"/proc/{pid}/fd/{held[0]}").st_mtime
    except OSError:
        return None
    timeout, _ = timeout_of(ppid)
    return Beat(pid, start_ticks, stamp, "alive", ppid, resolution=timeout / 2, stale_s=share * timeout)
