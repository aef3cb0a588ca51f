"""Reading the heartbeat files forensics.heartbeat writes: one ``<pid>.json`` per worker process.

What cannot be read is "unknown", never "stale": a store we cannot list (permissions, tmpfs not mounted)
must not look like a fleet of dead workers. A beat is aged by the writer's CLOCK_MONOTONIC reading (shared
by every process of a boot), so wall-clock jumps do not age it; only when that reading is unusable (another
time namespace, a writer that leaves it out) is the file's mtime used instead.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

_NO_TIDS: frozenset[int] = frozenset()
_new = tuple.__new__  # a NamedTuple's own __new__ is a Python function: hundreds of beats are built per scan


class Beat(NamedTuple):
    """One worker's last written state (a NamedTuple: hundreds are read every scan)."""

    pid: int
    start_ticks: int
    mono: float  # the writer's monotonic time at its last beat (on our clock)
    state: str  # "task" (in a task), "idle" (declared waiting for work), "alive" (beats, no task API used)
    ppid: int | None = None
    task: str | None = None
    task_id: str | None = None
    started_at: float | None = None  # wall time the task started (for people)
    started_mono: float | None = None
    beater_tid: int | None = None  # the heartbeat thread, when it beats by itself (start_thread)
    writer_tid: int | None = None  # the heartbeat thread that writes the file (never beats by itself)
    resolution: float = 0.0  # the writer's period: a healthy worker's beat can look this old
    seq: int = 0
    stale_s: float | None = None  # a limit of the beat's own source (gunicorn: a share of its --timeout)
    parent_start: int | None = None  # the start time of ``ppid`` when the worker recorded it (None: unknown)
    parent_same_exe: bool | None = None  # ``ppid`` ran the worker's executable then (None: unknown)

    def age(self, now: float) -> float:
        return max(0.0, now - self.mono)

    def task_age(self, now: float) -> float | None:
        return None if self.started_mono is None else max(0.0, now - self.started_mono)

    @property
    def own_tids(self) -> frozenset[int]:
        """The heartbeat's own thread: never evidence of the worker's progress, or of its lack."""
        if not (self.beater_tid or self.writer_tid):
            return _NO_TIDS
        return frozenset(t for t in (self.beater_tid, self.writer_tid) if t)

    def summary(self, now: float) -> dict:
        out = {"last_beat_age_s": round(self.age(now), 2), "state": self.state, "seq": self.seq}
        if self.task is not None:
            out.update(task=self.task, task_id=self.task_id, task_started_at=self.started_at,
                       task_age_s=round(self.task_age(now) or 0.0, 2))
        return out


@dataclass(frozen=True)
class Beats:
    """One read of the store. ``readable`` False: nothing about any worker's heartbeat is known."""

    readable: bool
    by_pid: dict[int, Beat] = field(default_factory=dict)
    unknown_pids: frozenset[int] = frozenset()  # a file there but unreadable or corrupt
    reason: str | None = None

    def known(self, pid: int) -> bool:
        return self.readable and pid not in self.unknown_pids


_scan_json = json.JSONDecoder().scan_once  # json.loads' type checks and whitespace regexes cost as much again


def decode_beat(text: bytes, now_mono: float) -> Beat:
    """A payload as written by forensics.heartbeat; ValueError/KeyError/TypeError if it is not one. Its
    ``mono`` is None when the payload's monotonic stamp is unusable (absent, or from another time namespace):
    the caller ages such a beat otherwise (parse_beat: by the file's mtime)."""
    s = text.decode()
    try:
        d, end = _scan_json(s, 0)
    except StopIteration:
        end = -1
    if end != len(s):
        d = json.loads(s)  # surrounded by whitespace, or not JSON at all: say so as json.loads does
    if d.__class__ is not dict:
        raise TypeError(f"a heartbeat is a JSON object, not {type(d).__name__}")
    get = d.get
    mono = get("mono")
    if mono.__class__ is not float and not isinstance(mono, int) or mono > now_mono + 1.0:
        mono = None
    started = get("started_mono")
    resolution = get("resolution")
    return _new(Beat, (
        int(d["pid"]), int(d["start_ticks"]), mono, str(get("state") or "alive"), get("ppid"),
        get("task"), get("task_id"), get("started_at"),
        float(started) if isinstance(started, (int, float)) else None,
        get("beater_tid"), get("writer_tid"), float(resolution) if isinstance(resolution, (int, float)) else 0.0,
        int(get("seq") or 0), None, _int_or_none(get("parent_start_ticks")), _bool_or_none(get("parent_same_exe")),
    ))


def _int_or_none(value) -> int | None:
    return value if value.__class__ is int else None


def _bool_or_none(value) -> bool | None:
    return value if value.__class__ is bool else None


def parse_beat(text: bytes, mtime: Callable[[], float], now_mono: float, now_wall: float) -> Beat:
    """A payload as written by forensics.heartbeat; ValueError/KeyError/TypeError/OSError if it is not one.
    Without a usable monotonic stamp (absent, or from another time namespace) the file's ``mtime()`` ages it."""
    beat = decode_beat(text, now_mono)
    if beat.mono is None:
        beat = beat._replace(mono=now_mono - max(0.0, now_wall - mtime()))
    return beat


# What changes between two writes of forensics.heartbeat's payload (its last keys): strings without escapes,
# numbers as float() reads them
_STR = rb'(null|"[^"\\\x00-\x1f]*")'
_NUM = rb"[-+0-9.eE]+"
_CHANGING = re.compile(
    rb'"seq":([0-9]+),"mono":(' + _NUM + rb'),"wall":' + _NUM + rb',"state":"(task|idle|alive)","task":' + _STR
    + rb',"task_id":' + _STR + rb',"started_at":(null|' + _NUM + rb'),"started_mono":(null|' + _NUM + rb')}')
_STATES = {b"task": "task", b"idle": "idle", b"alive": "alive"}


def decode_changed(raw: bytes, head: bytes, last: Beat, now_mono: float) -> Beat | None:
    """The beat in ``raw`` when it is ``head`` (bytes equal to the start of the payload ``last`` was decoded
    from: the same pid, identity, parent, writer and period) followed by the changing keys in
    forensics.heartbeat's order, plain values only: one regex instead of a JSON decode (which costs 5x as
    much), the same beat as decode_beat's (``head_of`` proves it for each head). None when it is not so:
    decode it fully. ValueError: a number float() cannot read."""
    if not raw.startswith(head):
        return None
    m = _CHANGING.fullmatch(raw, len(head))
    if m is None:
        return None
    seq, mono, state, task, task_id, started_at, started_mono = m.groups()
    mono = float(mono)
    if mono > now_mono + 1.0:
        return None  # another time namespace: decode_beat's caller ages it by the mtime
    return _new(Beat, (
        last.pid, last.start_ticks, mono, _STATES[state], last.ppid,
        None if task == b"null" else task[1:-1].decode(), None if task_id == b"null" else task_id[1:-1].decode(),
        None if started_at == b"null" else float(started_at),
        None if started_mono == b"null" else float(started_mono),
        last.beater_tid, last.writer_tid, last.resolution, int(seq), None, last.parent_start, last.parent_same_exe,
    ))


def head_of(raw: bytes, beat: Beat, now_mono: float) -> bytes | None:
    """The part of ``raw`` (decoded as ``beat``) before its changing keys, when decode_changed reads ``raw`` as
    decode_beat did: the keys after the head are the payload's last (a JSON object's last duplicate wins), so
    the next payload with this head is read alike. None: every payload of this writer is decoded fully."""
    i = raw.find(b'"seq":')
    if i < 0:
        return None
    head = raw[:i]
    return head if decode_changed(raw, head, beat, now_mono) == beat else None


class Reader:
    """Reads the store scan after scan. A file is read each time (one read(2), as cheap as a stat); its bytes
    are decoded again only when they changed, and then, when only the keys that change between two writes
    did, by ``decode_changed`` (a JSON decode of every file is most of a scan of healthy writers, each of
    which rewrites its file every second). Beats aged by the file's mtime are never reused (the same bytes
    rewritten later are a newer beat)."""

    def __init__(self) -> None:
        self._parsed: dict[int, tuple[bytes, Beat, bytes | None]] = {}  # pid -> (bytes, their beat, head_of)

    def read(self, directory: str, now_mono: float, required: bool = True) -> Beats:
        """Every beat in ``directory``. A missing directory is unknown when the user named it (``required``),
        and simply "no heartbeats in use" for the default location. Files are opened relative to the
        directory's fd (no path walk per file: this runs for every worker every scan)."""
        try:
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            if required:
                return Beats(readable=False, reason=f"{directory} does not exist")
            return Beats(readable=True)
        except OSError as exc:
            return Beats(readable=False, reason=f"cannot open {directory}: {exc.strerror or exc}")
        try:
            return self._read_all(dfd, directory, now_mono)
        finally:
            os.close(dfd)

    def _read_all(self, dfd: int, directory: str, now_mono: float) -> Beats:
        try:
            names = os.listdir(dfd)
        except OSError as exc:
            return Beats(readable=False, reason=f"cannot list {directory}: {exc.strerror or exc}")
        beats, unknown, before, parsed = {}, set(), self._parsed, {}
        for name in names:
            stem, _, ext = name.partition(".")
            if ext != "json" or not stem.isdigit():
                continue
            pid = int(stem)
            try:
                fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
                try:
                    raw = os.read(fd, 65536)
                finally:
                    os.close(fd)
                known = before.get(pid)
                if known is not None and known[0] == raw:
                    beat, head = known[1], known[2]
                else:
                    head = known[2] if known is not None else None
                    beat = None if head is None else decode_changed(raw, head, known[1], now_mono)
                    if beat is None:
                        beat = decode_beat(raw, now_mono)
                        if beat.mono is None:  # aged by the mtime: the same bytes rewritten later are newer
                            age = max(0.0, time.time() - os.stat(name, dir_fd=dfd).st_mtime)
                            beat, raw = beat._replace(mono=now_mono - age), None
                        else:
                            head = head_of(raw, beat, now_mono)
            except FileNotFoundError:
                continue  # replaced or removed between listdir and open
            except (OSError, ValueError, KeyError, TypeError):
                unknown.add(pid)
                continue
            if beat.pid == pid:
                beats[pid] = beat
                if raw is not None:
                    parsed[pid] = (raw, beat, head)
            else:
                unknown.add(pid)
        self._parsed = parsed
        return Beats(readable=True, by_pid=beats, unknown_pids=frozenset(unknown))


def read_dir(directory: str, now_mono: float, required: bool = True) -> Beats:
    """One read of the store, with nothing remembered from an earlier one."""
    return Reader().read(directory, now_mono, required)
