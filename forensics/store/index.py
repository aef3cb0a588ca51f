"""The store's index: one short row per capture file, so `ls` and the filters need not parse every capture.

``captures/.index`` holds JSON lines ``{"name", "key", "row"}`` (or ``"skip"``: why the file is not a readable
capture), ``key`` being the file's (inode, size, mtime, ctime). ``put`` appends its capture's line in one
``O_APPEND`` write; a torn or foreign line is simply not used. A reader lists the directory, lstats every
name, takes the line whose key still matches, reads the rest through the store's one reader, and rewrites the
index atomically when it read anything or the index holds many dead lines. A missing or damaged index is
thus rebuilt, and a stale one corrected: the index only saves reading files, it never changes what a
command sees.
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from forensics.model import Capture
from forensics.store.fileio import write_all

NAME = ".index"
_ROW_TYPES = {  # exact types: a bool is not a pid
    "id": (str,), "host": (str,), "pid": (int, type(None)), "taken_at": (int, float), "method": (str,),
    "trigger": (str,), "threads": (int,), "source": (str, type(None)), "cmdline": (str, type(None)),
}
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def row_of(capture: Capture) -> dict[str, Any]:
    """What `ls` shows and the filters test, for one capture."""
    p = capture.process
    return {
        "id": capture.id,
        "host": capture.host,
        "pid": capture.pid,
        "taken_at": capture.taken_at,
        "method": capture.method,
        "trigger": capture.trigger.rule or capture.trigger.kind,
        "threads": len(capture.threads),
        "source": capture.source,
        "cmdline": " ".join(p.cmdline) if p else None,
    }


def key_of(st: os.stat_result) -> list[int]:
    """Changes whenever the file is replaced or rewritten (ctime cannot be set back by a user)."""
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def line(name: str, key: list[int], row: dict | None = None, skip: str | None = None) -> bytes:
    entry = {"name": name, "key": key, "row": row} if skip is None else {"name": name, "key": key, "skip": skip}
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _valid_row(row: Any, name: str) -> bool:
    if type(row) is not dict or row.keys() != _ROW_TYPES.keys() or f"{row['id']}.json" != name:
        return False
    for k, t in _ROW_TYPES.items():  # a loop, not all(<genexpr>): this runs for every capture of the store
        if type(row[k]) not in t:
            return False
    return True


def _entry(e: Any, raw: bytes, entries: dict[str, tuple[list, dict | str, bytes]]) -> None:
    """Keep one parsed line if it is one of ours. Its key is only ever compared with a file's key (a foreign
    key matches no file), so only the row, which `ls` prints and the filters test, is checked here."""
    if type(e) is not dict:
        return
    name, key = e.get("name"), e.get("key")
    if type(name) is not str or type(key) is not list:
        return
    skip = e.get("skip")
    if type(skip) is str:
        entries[name] = (key, skip, raw)
    elif _valid_row(e.get("row"), name):
        entries[name] = (key, e["row"], raw)


def parse(data: bytes) -> tuple[dict[str, tuple[list, dict | str, bytes]], int]:
    """The usable lines of an index by name, as (key, row or skip reason, the line itself); a later line for a
    name wins. Also how many lines there were. One json.loads for the whole index when every line is whole
    (100k small loads cost more than the stat of every file); line by line when one is torn."""
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    entries: dict[str, tuple[list, dict | str, bytes]] = {}
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]")
    except (ValueError, RecursionError):
        parsed = None
    if parsed is not None and len(parsed) == len(lines):
        for raw, e in zip(lines, parsed):
            _entry(e, raw, entries)
        return entries, len(lines)
    for raw in lines:
        try:
            e = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        _entry(e, raw, entries)
    return entries, len(lines)


def append(fd: int, name: str, row: dict) -> None:
    """Add a just-stored capture's line to an existing index (none yet: the next reader builds it). Never raises:
    a line that did not make it only means the next reader reads that file."""
    with contextlib.suppress(OSError):
        key = key_of(os.stat(name, dir_fd=fd, follow_symlinks=False))
        ifd = os.open(NAME, _APPEND, dir_fd=fd)
        try:
            os.write(ifd, line(name, key, row))  # one write of an O_APPEND file: never interleaved with another
        finally:
            os.close(ifd)


def replace(fd: int, tmp_fd: int, temp: tuple[str, int], data: bytes) -> None:
    """Put ``data`` in place of the index: written to the temp file ``temp`` (in ``tmp_fd``), then renamed."""
    name, tfd = temp
    try:
        write_all(tfd, data)
        os.rename(name, NAME, src_dir_fd=tmp_fd, dst_dir_fd=fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=tmp_fd)
        os.close(tfd)
