"""The store's index: one short row per capture file, so `ls` and the filters need not parse every capture.

``captures/.index`` holds JSON lines, one array each (arrays of scalars decode three times faster than objects):

    [name, ino, size, mtime_ns, ctime_ns, host, pid, taken_at, method, trigger, threads, source, cmdline]
    [name, ino, size, mtime_ns, ctime_ns, "why the file is not a readable capture"]
    {"dir": [ino, mtime_ns, ctime_ns]}      the stamp: every line above matched the directory in that state

``put`` appends its capture's line in one ``O_APPEND`` write; a torn or foreign line is simply not used. A reader
whose index ends with a stamp matching the captures directory takes the rows as they are: it lists nothing and
stats no file (adding, removing or renaming a capture changes the directory's mtime). Otherwise it lists the
directory, lstats every name, takes the lines whose key (the file's inode, size, mtime, ctime) still matches,
reads the rest through the store's one reader, and then rewrites the index atomically (or appends a stamp when
every line matched). A missing or damaged index is thus rebuilt, and a stale one corrected.

What the stamp cannot see is a capture file rewritten in place by something other than hangdump (which never
rewrites one): `ls` shows its old row until the directory changes; every command that reads the capture (show,
report, clusters, export) checks the file itself. As in git's racily-clean index, a stamp is only written for a
directory whose mtime is well in the past, so a change within the same timestamp tick cannot hide behind it.
"""
from __future__ import annotations

import contextlib
import json
import os

from forensics.store.fileio import write_all
from forensics.store.ids import is_capture_id

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

    from forensics.model import Capture

NAME = ".index"
FIELDS = ("id", "host", "pid", "taken_at", "method", "trigger", "threads", "source", "cmdline")
_KEY = (int, int, int, int)
_OPTIONAL = (type(None),)
# every type a row line may have, field by field (exact types: a bool is not a pid); checked in one set lookup
_ROW_SHAPES = frozenset(
    (str, *_KEY, str, pid, taken, str, str, int, source, cmdline)
    for pid in (int, *_OPTIONAL) for taken in (int, float) for source in (str, *_OPTIONAL)
    for cmdline in (str, *_OPTIONAL)
)
_SKIP_SHAPE = (str, *_KEY, str)
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_SETTLED_NS = 2_000_000_000  # a directory changed this recently may change again within its mtime's tick

Entry = tuple[list[int], "dict[str, Any] | str", bytes]  # (key, row or skip reason, the line as stored)


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


def dir_state(st: os.stat_result) -> list[int]:
    """What changes when a name in the directory is added, removed or renamed (the stamp)."""
    return [st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def settled(st: os.stat_result, now_ns: int) -> bool:
    """Old enough to vouch for the index: a change within the same mtime tick cannot follow unseen."""
    return now_ns - st.st_mtime_ns >= _SETTLED_NS


def stamp_line(stamp: list[int]) -> bytes:
    return json.dumps({"dir": stamp}).encode() + b"\n"


def line(name: str, key: list[int], row: dict | None = None, skip: str | None = None) -> bytes:
    entry = [name, *key, skip] if skip is not None else [name, *key, *(row[k] for k in FIELDS[1:])]  # type: ignore[index]
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _entry(e: Any, raw: bytes, entries: dict[str, Entry]) -> list[int] | None:
    """Keep one parsed line if it is one of ours; a stamp line's directory state is returned. Its key is only ever
    compared with a file's key; the row, which `ls` prints and the filters test, is checked field by field."""
    if type(e) is list:
        shape = tuple(map(type, e))
        if shape in _ROW_SHAPES:
            name = e[0]
            if name.endswith(".json") and is_capture_id(name[:-5]):
                entries[name] = (e[1:5], {"id": name[:-5], "host": e[5], "pid": e[6], "taken_at": e[7], "method": e[8],
                                          "trigger": e[9], "threads": e[10], "source": e[11], "cmdline": e[12]}, raw)
        elif shape == _SKIP_SHAPE and e[0].endswith(".json") and not e[0].startswith(".") and "/" not in e[0]:
            entries[e[0]] = (e[1:5], e[5], raw)
    elif type(e) is dict and list(e) == ["dir"] and type(e["dir"]) is list and len(e["dir"]) == 3 \
            and all(type(x) is int for x in e["dir"]):
        return e["dir"]
    return None


def parse(data: bytes) -> tuple[dict[str, Entry], int, list[int] | None]:
    """The usable lines of an index by name, as (key, row or skip reason, the line itself); a later line for a
    name wins. Also how many lines there were, and the stamp if the last line is one. One json.loads for the whole
    index when every line is whole (100k small loads cost more than the stat of every file); line by line when one
    is torn."""
    lines = [ln for ln in data.split(b"\n") if ln]  # (a line of blanks makes the whole parse fail: then line by line)
    entries: dict[str, Entry] = {}
    stamp = None
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]")
    except (ValueError, RecursionError):
        parsed = None
    if parsed is None or len(parsed) != len(lines):
        parsed = []
        for raw in lines:
            try:
                parsed.append(json.loads(raw))
            except (ValueError, RecursionError):
                parsed.append(None)
    for raw, e in zip(lines, parsed):
        stamp = _entry(e, raw, entries)
    return entries, len(lines), stamp


def append(fd: int, data: bytes) -> None:
    """Add lines to an existing index (none yet: the next reader builds it). Never raises: a line that did not
    make it only means the next reader reads that file."""
    with contextlib.suppress(OSError):
        ifd = os.open(NAME, _APPEND, dir_fd=fd)
        try:
            os.write(ifd, data)  # one write of an O_APPEND file: never interleaved with another
        finally:
            os.close(ifd)


def append_row(fd: int, name: str, row: dict) -> None:
    """A just-stored capture's line (put)."""
    with contextlib.suppress(OSError):
        append(fd, line(name, key_of(os.stat(name, dir_fd=fd, follow_symlinks=False)), row))


def replace(fd: int, tmp_fd: int, temp: tuple[str, int], data: bytes, name: str = NAME) -> None:
    """Put ``data`` in place of the index (or of the file ``name`` in ``fd``): written to the temp file ``temp``
    (in ``tmp_fd``), then renamed."""
    tmp, tfd = temp
    try:
        write_all(tfd, data)
        os.rename(tmp, name, src_dir_fd=tmp_fd, dst_dir_fd=fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=tmp_fd)
        os.close(tfd)
