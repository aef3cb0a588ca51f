"""A capture tool's version, asked once per binary instead of once per capture (`py-spy --version`: 10-20 ms).

Kept in hangdump's private runtime directory (the lock directory, ours alone and 0700: see capture/lock.py;
tmpfs, so gone at reboot), keyed by what identifies the file: its path and the device, inode, size,
modification and change times of what it resolves to. A binary replaced or rewritten in place gets a new
ctime, so it is asked again. Without that directory (no $XDG_RUNTIME_DIR) every capture asks the tool.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable

CACHE_FILE = "tool-versions.json"
MAX_ENTRIES = 32  # binaries remembered; the least recently asked go first (tests make many short-lived ones)


def _identity(binary: str) -> list[int] | None:
    try:
        st = os.stat(binary)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def cached(binary: str, ask: Callable[[str], str | None]) -> str | None:
    """``ask(binary)``'s answer, from the cache when this very file was asked before. A failed ask (None) is not
    remembered: the next capture asks again."""
    from forensics.capture.lock import lock_dir

    ident = _identity(binary)
    directory = lock_dir() if ident is not None else None
    if directory is None:
        return ask(binary)
    path = os.path.join(directory, CACHE_FILE)
    known = _read(path)
    entry = known.get(binary)
    if isinstance(entry, list) and entry[:-1] == ident and isinstance(entry[-1], str):
        return entry[-1]
    version = ask(binary)
    if version is not None and _identity(binary) == ident:  # not replaced while it was asked
        known.pop(binary, None)
        # first out: binaries gone or changed (never served again: test runs leave dozens of them, and evicting
        # the live ones for them had every capture on a shared machine ask py-spy again), then the least recent
        known = {b: e for b, e in known.items() if isinstance(e, list) and e[:-1] == _identity(b)}
        known[binary] = [*ident, version]
        for stale in list(known)[:-MAX_ENTRIES]:
            del known[stale]
        _write(directory, path, known)
    return version


def _read(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(1 << 16))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(directory: str, path: str, known: dict) -> None:
    """Atomically (a temp file renamed over it): a reader sees the old cache or the new one, never half of one."""
    tmp = os.path.join(directory, f".{CACHE_FILE}.{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(known, fh)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
