"""The capture document: frozen records (forensics/records.py) that serialize themselves.

A capture is one JSON object with a ``schema`` field. Readers accept missing optional
fields (older or foreign producers) and reject wrong types with ``CaptureFormatError``
so that a corrupt file is reported, never half-loaded. Frames are stored innermost first
(the leaf, where the thread waits, is ``frames[0]``), as py-spy and gdb print them.
"""
from __future__ import annotations

import json

from forensics.errors import CaptureFormatError
from forensics.records import field, record, replace

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

SCHEMA = "hangdump.capture/1"


def _opt_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaptureFormatError(f"{what} must be an integer, got {type(value).__name__}")
    return value


def _opt_num(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CaptureFormatError(f"{what} must be a number, got {type(value).__name__}")
    return float(value)


def _opt_str(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaptureFormatError(f"{what} must be a string, got {type(value).__name__}")
    return value


def _opt_bool(value: Any, what: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise CaptureFormatError(f"{what} must be true/false, got {type(value).__name__}")
    return value


def _obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise CaptureFormatError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaptureFormatError(f"{what} must be a list, got {type(value).__name__}")
    return value


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _with_last(encode, d: dict, key: str, text: str) -> str:
    """``encode(d)`` where ``d[key]``, its last item, is already encoded as ``text`` (compact separators)."""
    if next(reversed(d), None) != key:  # to_dict puts it last; were it not, the order json.dumps keeps
        return encode(d)
    head = encode({k: v for k, v in d.items() if k != key})
    return f"{head[:-1]}{',' if len(head) > 2 else ''}{json.dumps(key)}:{text}}}"


@record
class Local:
    """A local variable as the capture tool rendered it; ``redacted`` means the value was withheld."""

    name: str
    repr: str | None = None
    is_arg: bool = False
    redacted: bool = False

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"name": self.name, "repr": self.repr}
        if self.is_arg:
            d["is_arg"] = True
        if self.redacted:
            d["redacted"] = True
        return d

    @classmethod
    def from_dict(cls, d: Any) -> Local:
        d = _obj(d, "local")
        return cls(
            name=_opt_str(d.get("name"), "local.name") or "?",
            repr=_opt_str(d.get("repr"), "local.repr"),
            is_arg=bool(d.get("is_arg", False)),
            redacted=bool(d.get("redacted", False)),
        )


@record
class Frame:
    """One stack frame. ``module`` is the shared object for native frames, the dotted module (when known) for Python ones."""

    kind: str
    function: str
    file: str | None = None
    line: int | None = None
    module: str | None = None
    address: int | None = None
    locals: tuple[Local, ...] | None = None

    def to_dict(self) -> dict:
        d = _drop_none(
            {
                "kind": self.kind,
                "function": self.function,
                "file": self.file,
                "line": self.line,
                "module": self.module,
                "address": self.address,
            }
        )
        if self.locals is not None:
            d["locals"] = [v.to_dict() for v in self.locals]
        return d

    @classmethod
    def from_dict(cls, d: Any) -> Frame:
        d = _obj(d, "frame")
        raw_locals = d.get("locals")
        return cls(
            kind=_opt_str(d.get("kind"), "frame.kind") or "python",
            function=_opt_str(d.get("function"), "frame.function") or "?",
            file=_opt_str(d.get("file"), "frame.file"),
            line=_opt_int(d.get("line"), "frame.line"),
            module=_opt_str(d.get("module"), "frame.module"),
            address=_opt_int(d.get("address"), "frame.address"),
            locals=None
            if raw_locals is None
            else tuple(Local.from_dict(v) for v in _list(raw_locals, "frame.locals")),
        )


@record
class Syscall:
    """What ``/proc/PID/task/TID/syscall`` said: a syscall number, name and six raw arguments."""

    nr: int
    name: str
    args: tuple[int, ...] = ()

    def to_dict(self) -> dict:
        return {"nr": self.nr, "name": self.name, "args": [hex(a) for a in self.args]}

    @classmethod
    def from_dict(cls, d: Any) -> Syscall:
        d = _obj(d, "syscall")
        args = []
        for a in _list(d.get("args"), "syscall.args"):
            if isinstance(a, str):
                try:
                    args.append(int(a, 0))
                except ValueError as exc:
                    raise CaptureFormatError(f"syscall.args has a non-number {a!r}") from exc
            else:
                args.append(_opt_int(a, "syscall.args") or 0)
        return cls(
            nr=_opt_int(d.get("nr"), "syscall.nr") or 0,
            name=_opt_str(d.get("name"), "syscall.name") or "?",
            args=tuple(args),
        )


@record
class KernelState:
    """A thread as the kernel sees it, read from /proc without ptrace.

    ``syscall`` is None when the thread is running on a CPU or the file was unreadable;
    ``running`` tells those apart. When the syscall works on a file descriptor (read, recvfrom,
    accept4, flock, ...), ``fd_target`` is what that fd is (``socket:[inode]``, ``pipe:[...]`` or a
    path) and, for TCP sockets, ``local``/``peer`` are the addresses (``peer`` None while listening).

    ``watches``: for a thread blocked in a multiplexer (epoll_wait/epoll_pwait/epoll_pwait2, poll/ppoll,
    select/pselect6), what each fd it waits on is, in fd order, one string each: ``listen tcp HOST:PORT``,
    ``listen unix PATH`` (``@name``: abstract), ``listen udp HOST:PORT`` (an unconnected datagram socket: it takes
    datagrams from anyone), ``tcp LOCAL->PEER``, ``udp LOCAL->PEER``, ``unix`` or ``unix PATH``
    (connected), ``socket`` (in no table: netlink, packet, ...), ``pipe``, ``eventfd``, ``timerfd``,
    ``signalfd``, ``epoll``, ``inotify``, ``pidfd``, ``file PATH`` (a path: a tty, a device, a file), ``other``,
    ``closed`` (an epoll's file whose fd number no longer names it: closed here, kept open elsewhere);
    past 64 fds (forensics/watched_fds.py) the last item is ``more N`` (N fds not described). The first word
    is the kind, the rest its argument (split once on a space). None where not a multiplexer or not read (old
    captures, imports, cores, a failed read); () for a multiplexer watching nothing.
    """

    state: str | None = None
    syscall: Syscall | None = None
    running: bool | None = None
    wchan: str | None = None
    utime_s: float | None = None
    stime_s: float | None = None
    voluntary_ctxt_switches: int | None = None
    nonvoluntary_ctxt_switches: int | None = None
    fd_target: str | None = None
    local: str | None = None
    peer: str | None = None
    watches: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        return _drop_none(
            {
                "state": self.state,
                "syscall": self.syscall.to_dict() if self.syscall else None,
                "running": self.running,
                "wchan": self.wchan,
                "utime_s": self.utime_s,
                "stime_s": self.stime_s,
                "voluntary_ctxt_switches": self.voluntary_ctxt_switches,
                "nonvoluntary_ctxt_switches": self.nonvoluntary_ctxt_switches,
                "fd_target": self.fd_target,
                "local": self.local,
                "peer": self.peer,
                "watches": None if self.watches is None else list(self.watches),
            }
        )

    @classmethod
    def from_dict(cls, d: Any) -> KernelState:
        d = _obj(d, "kernel")
        sc = d.get("syscall")
        watches = d.get("watches")
        return cls(
            state=_opt_str(d.get("state"), "kernel.state"),
            syscall=None if sc is None else Syscall.from_dict(sc),
            running=_opt_bool(d.get("running"), "kernel.running"),
            wchan=_opt_str(d.get("wchan"), "kernel.wchan"),
            utime_s=_opt_num(d.get("utime_s"), "kernel.utime_s"),
            stime_s=_opt_num(d.get("stime_s"), "kernel.stime_s"),
            voluntary_ctxt_switches=_opt_int(d.get("voluntary_ctxt_switches"), "kernel.voluntary_ctxt_switches"),
            nonvoluntary_ctxt_switches=_opt_int(
                d.get("nonvoluntary_ctxt_switches"), "kernel.nonvoluntary_ctxt_switches"
            ),
            fd_target=_opt_str(d.get("fd_target"), "kernel.fd_target"),
            local=_opt_str(d.get("local"), "kernel.local"),
            peer=_opt_str(d.get("peer"), "kernel.peer"),
            watches=None if watches is None else tuple(
                _opt_str(w, "kernel.watches") or "other" for w in _list(watches, "kernel.watches")
            ),
        )


@record
class ThreadStack:
    """One thread: identity, what the interpreter says (active, GIL), what the kernel says, and frames (leaf first)."""

    tid: int | None
    name: str | None = None
    python_thread_id: int | None = None
    active: bool | None = None
    owns_gil: bool | None = None
    kernel: KernelState | None = None
    frames: tuple[Frame, ...] = ()
    lock_address: int | None = None

    def to_dict(self, memo: dict[int, dict] | None = None) -> dict:
        """``memo`` (id of a Frame -> its dict) lets one document share the dicts of frames repeated across threads."""
        d = _drop_none(
            {
                "tid": self.tid,
                "name": self.name,
                "python_thread_id": self.python_thread_id,
                "active": self.active,
                "owns_gil": self.owns_gil,
                "kernel": self.kernel.to_dict() if self.kernel else None,
                "lock_address": self.lock_address,
            }
        )
        if memo is None:
            d["frames"] = [f.to_dict() for f in self.frames]
        else:
            frames = d["frames"] = []
            for f in self.frames:
                fd = memo.get(id(f))
                if fd is None:
                    fd = memo[id(f)] = f.to_dict()
                frames.append(fd)
        return d

    @classmethod
    def from_dict(cls, d: Any) -> ThreadStack:
        d = _obj(d, "thread")
        k = d.get("kernel")
        return cls(
            tid=_opt_int(d.get("tid"), "thread.tid"),
            name=_opt_str(d.get("name"), "thread.name"),
            python_thread_id=_opt_int(d.get("python_thread_id"), "thread.python_thread_id"),
            active=_opt_bool(d.get("active"), "thread.active"),
            owns_gil=_opt_bool(d.get("owns_gil"), "thread.owns_gil"),
            kernel=None if k is None else KernelState.from_dict(k),
            frames=tuple(Frame.from_dict(f) for f in _list(d.get("frames"), "thread.frames")),
            lock_address=_opt_int(d.get("lock_address"), "thread.lock_address"),
        )

    @property
    def python_frames(self) -> tuple[Frame, ...]:
        return tuple(f for f in self.frames if f.kind == "python")


@record
class ProcessFacts:
    """The process as /proc described it at capture time; every field may be unknown (None)."""

    cmdline: tuple[str, ...] = ()
    exe: str | None = None
    python_version: str | None = None
    ppid: int | None = None
    state: str | None = None
    age_s: float | None = None
    cpu_user_s: float | None = None
    cpu_system_s: float | None = None
    rss: int | None = None
    pss: int | None = None
    uss: int | None = None
    shared: int | None = None
    swap: int | None = None
    num_threads: int | None = None
    children: tuple[int, ...] = ()
    uid: int | None = None
    worker: dict = field(default_factory=dict)  # framework, role, task, task_id, task_age_s, ... (fleet/role.py)

    def to_dict(self) -> dict:
        d = _drop_none(
            {
                "exe": self.exe,
                "python_version": self.python_version,
                "ppid": self.ppid,
                "state": self.state,
                "age_s": self.age_s,
                "cpu_user_s": self.cpu_user_s,
                "cpu_system_s": self.cpu_system_s,
                "rss": self.rss,
                "pss": self.pss,
                "uss": self.uss,
                "shared": self.shared,
                "swap": self.swap,
                "num_threads": self.num_threads,
                "uid": self.uid,
            }
        )
        d["cmdline"] = list(self.cmdline)
        d["children"] = list(self.children)
        if self.worker:
            d["worker"] = self.worker
        return d

    @classmethod
    def from_dict(cls, d: Any) -> ProcessFacts:
        d = _obj(d, "process")
        return cls(
            cmdline=tuple(_opt_str(a, "process.cmdline") or "" for a in _list(d.get("cmdline"), "process.cmdline")),
            exe=_opt_str(d.get("exe"), "process.exe"),
            python_version=_opt_str(d.get("python_version"), "process.python_version"),
            ppid=_opt_int(d.get("ppid"), "process.ppid"),
            state=_opt_str(d.get("state"), "process.state"),
            age_s=_opt_num(d.get("age_s"), "process.age_s"),
            cpu_user_s=_opt_num(d.get("cpu_user_s"), "process.cpu_user_s"),
            cpu_system_s=_opt_num(d.get("cpu_system_s"), "process.cpu_system_s"),
            rss=_opt_int(d.get("rss"), "process.rss"),
            pss=_opt_int(d.get("pss"), "process.pss"),
            uss=_opt_int(d.get("uss"), "process.uss"),
            shared=_opt_int(d.get("shared"), "process.shared"),
            swap=_opt_int(d.get("swap"), "process.swap"),
            num_threads=_opt_int(d.get("num_threads"), "process.num_threads"),
            children=tuple(_opt_int(c, "process.children") or 0 for c in _list(d.get("children"), "process.children")),
            uid=_opt_int(d.get("uid"), "process.uid"),
            worker=_obj(d.get("worker") or {}, "process.worker"),
        )


@record
class Trigger:
    """Why the capture was taken: ``manual``, ``import``, or a watchdog rule with its evidence."""

    kind: str = "manual"
    rule: str | None = None
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return _drop_none({"kind": self.kind, "rule": self.rule, "evidence": self.evidence or None})

    @classmethod
    def from_dict(cls, d: Any) -> Trigger:
        d = _obj(d, "trigger")
        return cls(
            kind=_opt_str(d.get("kind"), "trigger.kind") or "manual",
            rule=_opt_str(d.get("rule"), "trigger.rule"),
            evidence=_obj(d.get("evidence") or {}, "trigger.evidence"),
        )


@record
class Capture:
    """One snapshot of one process. ``start_time`` (epoch seconds) plus ``pid`` identify the process."""

    id: str
    host: str
    pid: int | None
    taken_at: float
    method: str
    start_time: float | None = None
    trigger: Trigger = field(default_factory=Trigger)
    process: ProcessFacts | None = None
    threads: tuple[ThreadStack, ...] = ()
    tool_versions: dict = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    source: str | None = None
    duration_s: float | None = None
    options: dict = field(default_factory=dict)

    def to_dict(self, threads: list[dict] | None = None) -> dict:
        """``threads``: the dicts of ``self.threads``, when the caller has them (a copy of a capture whose threads
        are the same objects: the summary's escaped capture with an escaped command line)."""
        frame_dicts: dict[int, dict] = {}
        d = {
            "schema": SCHEMA,
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "start_time": self.start_time,
            "taken_at": self.taken_at,
            "method": self.method,
            "trigger": self.trigger.to_dict(),
            "tool_versions": self.tool_versions,
            "errors": list(self.errors),
            "source": self.source,
            "duration_s": self.duration_s,
            "options": self.options,
            "process": self.process.to_dict() if self.process else None,
            "threads": [t.to_dict(frame_dicts) for t in self.threads] if threads is None else threads,
        }
        return _drop_none(d)

    def to_json(self, indent: int | None = None, doc: dict | None = None) -> str:
        """Compact unless ``indent`` is given: a store holds many of these. ``doc``: this capture's ``to_dict()``
        when the caller has made it already (collect analyses the same dict for its summary; 1,000 threads: ~16 ms).

        Compact text is what ``json.dumps`` gives, built from pieces: each distinct frame (a pool's threads
        share theirs) is encoded once, not once per thread (1,000 threads: 17,000 frames, a few dozen distinct)."""
        d = self.to_dict() if doc is None else doc
        if indent is not None:
            return json.dumps(d, indent=indent, ensure_ascii=False)
        encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        frames: dict[int, str] = {}

        def frame(f: dict) -> str:
            text = frames.get(id(f))
            if text is None:
                text = frames[id(f)] = encode(f)
            return text

        def thread(t: dict) -> str:
            return _with_last(encode, t, "frames", "[" + ",".join(frame(f) for f in t["frames"]) + "]")

        return _with_last(encode, d, "threads", "[" + ",".join(thread(t) for t in d["threads"]) + "]")

    @classmethod
    def from_dict(cls, d: Any) -> Capture:
        d = _obj(d, "capture")
        schema = d.get("schema")
        if not isinstance(schema, str) or not schema.startswith("hangdump.capture/"):
            raise CaptureFormatError(f"not a hangdump capture (schema is {schema!r})")
        if schema != SCHEMA:
            raise CaptureFormatError(f"unsupported capture schema {schema!r} (this hangdump reads {SCHEMA})")
        ident = _opt_str(d.get("id"), "id")
        if not ident:
            raise CaptureFormatError("capture has no id")
        taken_at = _opt_num(d.get("taken_at"), "taken_at")
        if taken_at is None:
            raise CaptureFormatError("capture has no taken_at")
        proc = d.get("process")
        return cls(
            id=ident,
            host=_opt_str(d.get("host"), "host") or "unknown",
            pid=_opt_int(d.get("pid"), "pid"),
            taken_at=taken_at,
            method=_opt_str(d.get("method"), "method") or "import",
            start_time=_opt_num(d.get("start_time"), "start_time"),
            trigger=Trigger.from_dict(d.get("trigger") or {}),
            process=None if proc is None else ProcessFacts.from_dict(proc),
            threads=tuple(ThreadStack.from_dict(t) for t in _list(d.get("threads"), "threads")),
            tool_versions=_obj(d.get("tool_versions") or {}, "tool_versions"),
            errors=tuple(_opt_str(e, "errors") or "" for e in _list(d.get("errors"), "errors")),
            source=_opt_str(d.get("source"), "source"),
            duration_s=_opt_num(d.get("duration_s"), "duration_s"),
            options=_obj(d.get("options") or {}, "options"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Capture:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CaptureFormatError(f"not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def with_changes(self, **changes: Any) -> Capture:
        return replace(self, **changes)

    @property
    def gil_holder(self) -> ThreadStack | None:
        return next((t for t in self.threads if t.owns_gil), None)

