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
from typing import NamedTuple

from forensics.watch.heartbeats import Beat

DEFAULT_TIMEOUT_S = 30.0  # gunicorn's default --timeout
_TIMEOUT = re.compile(r"(?:^|\s)(?:--timeout[= ]|-t\s*)(\d+(?:\.\d+)?)")


class Tmp(NamedTuple):
    """The WorkerTmp file a worker holds (fd number in the worker, and the file's identity)."""

    fd: int
    dev: int
    ino: int


def tmp_files(pid: int) -> list[Tmp] | None:
    """The ``wgunicorn-*`` files among pid's open fds (only those are stat'ed); None when pid's fds cannot be read."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    out = []
    for name in names:
        path = f"/proc/{pid}/fd/{name}"
        try:
            if "/wgunicorn-" in os.readlink(path):
                st = os.stat(path)
                out.append(Tmp(int(name), st.st_dev, st.st_ino))
        except OSError:
            continue
    return out


def probe(pid: int, ppid: int) -> Tmp | bool:
    """pid's WorkerTmp when pid is a worker of ``ppid``. False when it cannot become one while ``ppid`` is its
    parent: it holds no such file (a worker always does: the arbiter creates it before the fork), or none its
    parent holds (an arbiter, under its supervisor). True when it may be one at the next look: a worker just
    forked holds its siblings' files too, until it closes them."""
    held = tmp_files(pid)
    if not held:
        return False
    theirs = {(t.dev, t.ino) for t in tmp_files(ppid) or ()}
    mine = [t for t in held if (t.dev, t.ino) in theirs]
    if not mine:
        return False
    return mine[0] if len(held) == 1 else True


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


def stamp(pid: int, start_ticks: int, tmp: Tmp, timeout: float, share: float) -> Beat | None:
    """The beat of a gunicorn worker holding ``tmp``, held to ``share`` of its arbiter's ``timeout``."""
    try:
        at = os.stat(f"/proc/{pid}/fd/{tmp.fd}").st_mtime
    except OSError:
        return None
    # no ppid: the worker did not record its parent (the watchdog's first sight of it does, for orphans)
    return Beat(pid, start_ticks, at, "alive", None, resolution=timeout / 2, stale_s=share * timeout)
