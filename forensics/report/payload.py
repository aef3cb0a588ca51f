"""The report's compact payload, encoded straight from the captures' JSON documents (no ``Capture`` objects).

The page's script renders members tables, flame graphs, capture views and filters from one JSON value:

    s  strings, interned; every other field refers to them by index (-1: none)
    f  frames      [kind 0=python 1=native, label, function, file, line (0: none), module, locals,
                    interpreter 1: a native frame of CPython's eval loop or call shims (flame.INTERPRETER_FRAMES)]
                   (no addresses: they differ in every process and would defeat the deduplication)
    l  locals      [[name, repr, flags 1=arg 2=redacted], ...]  (a frame's ``locals`` is an index, -1: none)
    k  stacks      [frame, ...] leaf first, deduplicated
    c  captures    [id, host, pid, taken_at, method, trigger, cluster (-1: none), process, threads, errors, extra]
                   process: [cmdline, exe, python, ppid, state, age_s, cpu_user_s, cpu_system_s, rss, pss, uss,
                             shared, swap, num_threads, children, uid, framework, role (process.worker)] or null
                   threads: [[tid, name, flags 1=GIL 2=active 4=GIL known, kernel, stack], ...]
                   kernel:  [state, syscall text, wchan, running 0/1/-1, utime_s, stime_s, vcs, nvcs, fd text] or null
                   extra:   JSON text (string index) of duration, source, options, trigger evidence, tools
                   then: verdicts [[kind, text], ...] (most important first), culprit call site, role (master,
                   pool child, arbiter, worker), task, what the watchdog did next (string indices, -1: none)
                   thread flags: 8=idle by design
    g  clusters    [[id, members (capture indices), flame], ...]; flame: the icicle tree flat, in preorder,
                   three numbers per node: [label, value, number of children, ...] (a stack is as deep as its
                   program recursed, and nested JSON that deep breaks encoders, decoders and recursive readers)
    a  flame of the stuck threads of every capture

Reading a document checks every field the way ``Capture.from_dict`` does (a document it rejects is
rejected here, with its message), but builds no objects: fields are type-checked as they are copied,
and a frame is checked and labelled once per distinct (kind, function, file, line, module), however
many threads and captures repeat it. That is what keeps a 100k-capture report near the cost of parsing.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from forensics.errors import CaptureFormatError
from forensics.model import (
    SCHEMA,
    Capture,
    Frame,
    Local,
    Syscall,
    _list,
    _obj,
    _opt_bool,
    _opt_int,
    _opt_num,
    _opt_str,
)
from forensics.report import flame
from forensics.summary import watches_text

_NOTHING: tuple[int, ...] = ()
_EXTRA_JSON = json.JSONEncoder(sort_keys=True, default=str).encode  # built once: json.dumps(**kw) builds one per call


def _i(v: Any, what: str) -> int | None:
    return v if v is None or type(v) is int else _opt_int(v, what)


def _n(v: Any, what: str) -> float | None:
    return v if v is None or type(v) is float else _opt_num(v, what)


def _t(v: Any, what: str) -> str | None:
    return v if v is None or type(v) is str else _opt_str(v, what)


def _b(v: Any, what: str) -> bool | None:
    return v if v is None or type(v) is bool else _opt_bool(v, what)


def _task(evidence: dict, worker: dict) -> str | None:
    """What the worker was running: the task (or request) ``process.worker`` names, else the trigger's evidence."""
    for task in (worker.get("task"), worker.get("request"), evidence.get("task")):
        if task is not None and task != "":
            return str(task)
    return None


class Strings:
    """A payload's string table: every other field refers to a string by its index (-1: none)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._s: dict[str, int] = {}

    def s(self, text: str | None) -> int:
        if text is None:
            return -1
        i = self._s.get(text)
        if i is None:
            i = self._s[text] = len(self.strings)
            self.strings.append(text)
        return i


def _shown(f: Frame) -> tuple:
    """A checked frame as the page shows it, locals aside: kind (1: native), label, function, file, line, module,
    interpreter frame."""
    return (1 if f.kind == "native" else 0, flame.frame_label(f), f.function, f.file, f.line or 0, f.module,
            1 if flame.interpreter_frame(f.kind, f.function) else 0)


class Payload(Strings):
    """Captures added one document at a time; ``doc()`` is the page's JSON value. ``checked``: frame documents
    already checked and labelled (``_shown``), shared by payloads made one after the other (``pieces.piece``)."""

    def __init__(self, checked: dict[tuple, tuple] | None = None) -> None:
        super().__init__()
        self._checked = {} if checked is None else checked
        self.frames: list[list] = []
        self._f: dict[tuple, int] = {}  # a checked Frame's fields -> frame index
        self._raw_f: dict[tuple, int] = {}  # a frame document's (kind, function, file, line, module) -> frame index
        self.locals: list[list] = []
        self._l: dict[tuple[Local, ...], int] = {}
        self.stacks: list[list[int]] = []
        self._k: dict[tuple[int, ...], int] = {}
        self.stack_labels: list[tuple[str, ...]] = []  # per stack, its flame graph boxes
        self.captures: list[list] = []
        # per capture, in the order added:
        self.ids: list[str] = []
        self.hosts: list[str] = []
        self.taken: list[float] = []
        self.thread_stacks: list[tuple[int, ...]] = []  # the stack of each thread
        self.idle: list[frozenset[int] | None] = []  # thread indices idle by design (None: not classified)
        self.processes: set[tuple] = set()
        self._hex: dict[str, str] = {}  # a syscall argument as stored -> as shown
        self.fallbacks = 0  # documents the model read but this encoder did not (should stay 0)

    # -- tables --------------------------------------------------------------------------------------
    def _locals(self, values: tuple[Local, ...] | None) -> int:
        if values is None:
            return -1
        i = self._l.get(values)
        if i is None:
            i = self._l[values] = len(self.locals)
            self.locals.append(
                [[self.s(v.name), self.s(v.repr), (1 if v.is_arg else 0) | (2 if v.redacted else 0)] for v in values]
            )
        return i

    def frame(self, f: Frame) -> int:
        return self._frame(_shown(f), f.locals)

    def _frame(self, shown: tuple, values: tuple[Local, ...] | None = None) -> int:
        key = (shown, values)
        i = self._f.get(key)
        if i is None:
            native, label, function, file, line, module, interpreter = shown
            i = self._f[key] = len(self.frames)
            self.frames.append([native, self.s(label), self.s(function), self.s(file), line, self.s(module),
                                self._locals(values), interpreter])
        return i

    def _stack(self, frames: list) -> int:
        cached = self._raw_f
        ids = []
        for f in frames:
            i = None
            if type(f) is dict and "locals" not in f:
                line, address = f.get("line"), f.get("address")
                if (line is None or type(line) is int) and (address is None or type(address) is int):
                    key: tuple | None = (f.get("kind"), f.get("function"), f.get("file"), line, f.get("module"))
                    try:
                        i = cached.get(key)
                    except TypeError:  # an unhashable field: the model says what is wrong
                        key = None
                    if i is None and key is not None:
                        shown = self._checked.get(key)
                        if shown is None:
                            shown = self._checked[key] = _shown(Frame.from_dict(f))
                        i = cached[key] = self._frame(shown)
            if i is None:  # locals (rare), or a field of the wrong type (raises)
                i = self.frame(Frame.from_dict(f))
            ids.append(i)
        key = tuple(ids)
        k = self._k.get(key)
        if k is None:
            k = self._k[key] = len(self.stacks)
            self.stacks.append(ids)
            frames = self.frames
            self.stack_labels.append(flame.stack_labels((self.strings[frames[fi][1]], frames[fi][7] == 1) for fi in key))
        return k

    # -- one capture ---------------------------------------------------------------------------------
    def _kernel(self, k: Any) -> list:
        if type(k) is not dict:
            _obj(k, "kernel")
        sc = k.get("syscall")
        text = None
        if sc is not None:
            text = self._syscall(sc)
        running = _b(k.get("running"), "kernel.running")
        fd_target, local, peer = (_t(k.get(name), f"kernel.{name}") for name in ("fd_target", "local", "peer"))
        fd = " ".join(x for x in (fd_target, local and f"local {local}", peer and f"peer {peer}") if x)
        watches = k.get("watches")
        if isinstance(watches, list):  # what a multiplexer waits on (KernelState.watches), as `show` says it
            fd = (fd + watches_text(tuple(str(w) for w in watches))).strip()
        return [
            self.s(_t(k.get("state"), "kernel.state")),
            self.s(text),
            self.s(_t(k.get("wchan"), "kernel.wchan")),
            -1 if running is None else int(running),
            _n(k.get("utime_s"), "kernel.utime_s"),
            _n(k.get("stime_s"), "kernel.stime_s"),
            _i(k.get("voluntary_ctxt_switches"), "kernel.voluntary_ctxt_switches"),
            _i(k.get("nonvoluntary_ctxt_switches"), "kernel.nonvoluntary_ctxt_switches"),
            self.s(fd or None),
        ]

    def _syscall(self, sc: Any) -> str:
        """``name(0x.., ...)``; arguments as the model reads them (hex strings or numbers), printed in hex."""
        if type(sc) is dict:
            name, nr, args = sc.get("name"), sc.get("nr"), sc.get("args")
            if type(name) is str and type(nr) is int and type(args) is list:
                hexed = self._hex
                out = []
                for a in args:
                    h = hexed.get(a) if type(a) is str else None
                    if h is None:
                        break
                    out.append(h)
                else:
                    return f"{name}({', '.join(out)})"
        call = Syscall.from_dict(sc)  # raises for what the model rejects
        args = sc.get("args")
        for a, value in zip(args if type(args) is list else (), call.args):
            if type(a) is str and len(self._hex) < 1 << 16:
                self._hex[a] = hex(value)
        return f"{call.name}({', '.join(hex(a) for a in call.args)})"

    def _thread(self, t: Any, stacks: list[int]) -> list:
        if type(t) is not dict:
            _obj(t, "thread")
        owns = _b(t.get("owns_gil"), "thread.owns_gil")
        active = _b(t.get("active"), "thread.active")
        _i(t.get("python_thread_id"), "thread.python_thread_id")
        _i(t.get("lock_address"), "thread.lock_address")
        k = t.get("kernel")
        kernel = None if k is None else self._kernel(k)
        stack = self._stack(_list(t.get("frames"), "thread.frames"))
        stacks.append(stack)
        flags = (1 if owns else 0) | (2 if active else 0) | (4 if owns is not None else 0)
        return [_i(t.get("tid"), "thread.tid"), self.s(_t(t.get("name"), "thread.name")), flags, kernel, stack]

    def _process(self, p: Any) -> list:
        if type(p) is not dict:
            _obj(p, "process")
        cmdline = " ".join(_t(a, "process.cmdline") or "" for a in _list(p.get("cmdline"), "process.cmdline"))
        worker = _obj(p.get("worker") or {}, "process.worker")
        return [
            self.s(cmdline),
            self.s(_t(p.get("exe"), "process.exe")),
            self.s(_t(p.get("python_version"), "process.python_version")),
            _i(p.get("ppid"), "process.ppid"),
            self.s(_t(p.get("state"), "process.state")),
            _n(p.get("age_s"), "process.age_s"),
            _n(p.get("cpu_user_s"), "process.cpu_user_s"),
            _n(p.get("cpu_system_s"), "process.cpu_system_s"),
            _i(p.get("rss"), "process.rss"),
            _i(p.get("pss"), "process.pss"),
            _i(p.get("uss"), "process.uss"),
            _i(p.get("shared"), "process.shared"),
            _i(p.get("swap"), "process.swap"),
            _i(p.get("num_threads"), "process.num_threads"),
            [_i(c, "process.children") or 0 for c in _list(p.get("children"), "process.children")],
            _i(p.get("uid"), "process.uid"),
            self.s(_t(worker.get("framework"), "process.worker.framework")),
            self.s(_t(worker.get("role"), "process.worker.role")),
        ]

    def add(self, doc: Any, accept: Any = None) -> int | None:
        """Encode one capture document; its index, or None when ``accept`` (a store Filter) leaves it out.

        Raises ``CaptureFormatError`` (with ``Capture.from_dict``'s message) for a document the model rejects;
        a document left out by the filter is still checked, so that a corrupt file is reported either way.
        """
        try:
            return self._add(doc, accept)
        except (CaptureFormatError, TypeError, ValueError, AttributeError, KeyError, IndexError):
            canonical = Capture.from_dict(doc)  # raises the model's own message for what is wrong
            # the model reads what this encoder did not expect (a bug here): encode the model's form of it
            self.fallbacks += 1
            return self._add(canonical.to_dict(), accept)

    def _add(self, d: Any, accept: Any) -> int | None:
        if type(d) is not dict:
            _obj(d, "capture")
        schema = d.get("schema")
        if schema != SCHEMA:
            raise CaptureFormatError(f"unsupported capture schema {schema!r}")
        ident = _t(d.get("id"), "id")
        if not ident:
            raise CaptureFormatError("capture has no id")
        taken_at = _n(d.get("taken_at"), "taken_at")
        if taken_at is None:
            raise CaptureFormatError("capture has no taken_at")
        host = _t(d.get("host"), "host") or "unknown"
        pid = _i(d.get("pid"), "pid")
        if accept is not None and not accept.accepts_values(taken_at, host, pid):
            Capture.from_dict(d)
            return None
        method = _t(d.get("method"), "method") or "import"
        start_time = _n(d.get("start_time"), "start_time")
        trigger = d.get("trigger") or {}
        if type(trigger) is not dict:
            _obj(trigger, "trigger")
        kind = _t(trigger.get("kind"), "trigger.kind") or "manual"
        rule = _t(trigger.get("rule"), "trigger.rule")
        evidence = _obj(trigger.get("evidence") or {}, "trigger.evidence")
        p = d.get("process")
        proc = None if p is None else self._process(p)
        tools = _obj(d.get("tool_versions") or {}, "tool_versions")
        errors = [self.s(_t(e, "errors") or "") for e in _list(d.get("errors"), "errors")]
        source = _t(d.get("source"), "source")
        duration = _n(d.get("duration_s"), "duration_s")
        options = _obj(d.get("options") or {}, "options")
        stacks: list[int] = []
        threads = [self._thread(t, stacks) for t in _list(d.get("threads"), "threads")]
        extra = {
            k: v
            for k, v in (
                ("duration_s", duration), ("source", source), ("start_time", start_time),
                ("options", options or None), ("evidence", evidence or None), ("tool_versions", tools or None),
            )
            if v is not None
        }
        ci = len(self.captures)
        self.captures.append(
            [
                self.s(ident),
                self.s(host),
                pid,
                round(taken_at, 3),
                self.s(method),
                self.s(rule or kind),
                -1,
                proc,
                threads,
                errors,
                self.s(_EXTRA_JSON(extra)) if extra else -1,
                [],
                -1,
                -1,
                self.s(_task(evidence, _obj(p.get("worker") or {}, "process.worker") if type(p) is dict else {})),
                -1,
            ]
        )
        self.ids.append(ident)
        self.hosts.append(host)
        self.taken.append(taken_at)
        self.thread_stacks.append(tuple(stacks))
        self.idle.append(None)
        self.processes.add((host, pid, start_time))
        return ci

    # -- after the analysis --------------------------------------------------------------------------
    def set_idle(self, capture: int, threads: Iterable[int]) -> None:
        """Threads (indices) of a capture that are idle by design: left out of the flame graphs."""
        self.idle[capture] = frozenset(threads)
        records = self.captures[capture][8]
        for i in self.idle[capture]:
            if 0 <= i < len(records):
                records[i][2] |= 8

    def set_verdicts(self, capture: int, verdicts: Iterable[tuple[str, str]], culprit: str | None) -> None:
        self.captures[capture][11] = [[self.s(kind), self.s(text)] for kind, text in verdicts]
        self.captures[capture][12] = self.s(culprit)

    def set_role(self, capture: int, role: str | None) -> None:
        self.captures[capture][13] = self.s(role)

    def set_followup(self, capture: int, text: str | None) -> None:
        self.captures[capture][15] = self.s(text)

    def set_cluster(self, capture: int, cluster: int) -> None:
        self.captures[capture][6] = cluster

    def has_followup(self, capture: int) -> bool:
        return self.captures[capture][15] != -1

    def first_verdict(self, capture: int) -> str | None:
        verdicts = self.captures[capture][11]
        return self.strings[verdicts[0][0]] if verdicts else None

    def role_facts(self, capture: int) -> tuple:
        """What ``facts.roles`` decides a capture's role from: (host, pid, ppid, framework, role the worker told,
        has children)."""
        from forensics.fleet.role import framework

        c, strings = self.captures[capture], self.strings
        proc = c[7]
        if proc is None:
            return self.hosts[capture], c[2], None, framework(""), None, False
        kind = strings[proc[16]] if proc[16] != -1 else framework(strings[proc[0]] if proc[0] != -1 else "")
        told = strings[proc[17]] if proc[17] != -1 else None
        return self.hosts[capture], c[2], proc[3], kind, told, bool(proc[14])

    def readability(self, capture: int) -> tuple[bool, bool]:
        """How well a capture's stuck threads read: (some Python frames, no thread starting in an unresolved ``??``)."""
        idle = self.idle[capture] or frozenset()
        python, unresolved = False, False
        for ti, k in enumerate(self.thread_stacks[capture]):
            stack = self.stacks[k]
            if ti in idle or not stack:
                continue
            python = python or any(self.frames[f][0] == 0 for f in stack)
            fn = self.frames[stack[0]][2]
            unresolved = unresolved or (fn != -1 and self.strings[fn] == "??")
        return python, not unresolved

    def weighted(self, captures: Iterable[int] | None = None, all_threads: bool = False) -> Counter[tuple[str, ...]]:
        """How many threads show each stack of labels (leaf first): the stuck ones, or all with frames."""
        by_stack: Counter[int] = Counter()
        stacks, idle = self.thread_stacks, self.idle
        for ci in range(len(stacks)) if captures is None else captures:
            skip = _NOTHING if all_threads else idle[ci] or _NOTHING
            if skip:
                by_stack.update(k for i, k in enumerate(stacks[ci]) if i not in skip)
            else:
                by_stack.update(stacks[ci])
        out: Counter[tuple[str, ...]] = Counter()
        empty = self._k.get(())
        for k, n in by_stack.items():
            if k != empty:
                out[self.stack_labels[k]] += n
        return out

    # -- a capture encoded on its own (report/pieces.py), and back -------------------------------------
    def alone(self) -> list:
        """The only capture of this payload with its own tables: ``[strings, frames, locals, stacks, capture]``."""
        return [self.strings, self.frames, self.locals, self.stacks, self.captures[0]]

    def absorb(self, piece: list) -> int:
        """Add a capture encoded ``alone``, its indices turned into this payload's; its index."""
        strings, frames, locs, stacks, c = piece
        smap = [self.s(t) for t in strings]

        def s(i: int) -> int:
            return -1 if i == -1 else smap[i]

        lmap = []
        for values in locs:
            vs = [[s(n), s(r), flags] for n, r, flags in values]
            lmap.append(self._intern(self._l, self.locals, ("piece", json.dumps(vs)), vs))
        fmap = []
        for f in frames:
            g = [f[0], s(f[1]), s(f[2]), s(f[3]), f[4], s(f[5]), -1 if f[6] == -1 else lmap[f[6]], f[7]]
            fmap.append(self._intern(self._f, self.frames, ("piece", *g), g))
        kmap = []
        for stack in stacks:
            ids = [fmap[i] for i in stack]
            k = self._k.get(tuple(ids))
            if k is None:
                k = self._k[tuple(ids)] = len(self.stacks)
                self.stacks.append(ids)
                self.stack_labels.append(flame.stack_labels((self.strings[self.frames[i][1]], self.frames[i][7] == 1)
                                                            for i in ids))
            kmap.append(k)
        for n in (0, 1, 4, 5, 10, 12, 13, 14, 15):
            c[n] = s(c[n])
        if c[7] is not None:
            for n in (0, 1, 2, 4, 16, 17):
                c[7][n] = s(c[7][n])
        for t in c[8]:
            t[1], t[4] = s(t[1]), kmap[t[4]]
            if t[3] is not None:
                for n in (0, 1, 2, 8):
                    t[3][n] = s(t[3][n])
        c[9] = [s(e) for e in c[9]]
        c[11] = [[s(kind), s(text)] for kind, text in c[11]]
        ci = len(self.captures)
        self.captures.append(c)
        self.ids.append(self.strings[c[0]])
        self.hosts.append(self.strings[c[1]])
        self.taken.append(c[3])
        self.thread_stacks.append(tuple(t[4] for t in c[8]))
        self.idle.append(frozenset(i for i, t in enumerate(c[8]) if t[2] & 8))
        self.processes.add((self.hosts[-1], c[2], None))
        return ci

    @staticmethod
    def _intern(at: dict, table: list, key: Any, value: list) -> int:
        i = at.get(key)
        if i is None:
            i = at[key] = len(table)
            table.append(value)
        return i

    def tree(self, root: dict) -> list[int]:
        """An icicle tree flattened in preorder: label, value, number of children per node (no recursion)."""
        out: list[int] = []
        todo = [root]
        while todo:
            node = todo.pop()
            kids = node["children"]
            out += (self.s(node["name"]), node["value"], len(kids))
            todo.extend(reversed(kids))
        return out

    def flame(self, captures: Iterable[int] | None = None) -> list[int]:
        return self.tree(flame.icicle(self.weighted(captures).items()))

    def encoded(self, clusters: Iterable[tuple[str, Iterable[int]]] = ()) -> bytes:
        """The page's JSON text (``doc``)."""
        return json.dumps(self.doc(clusters), separators=(",", ":")).encode()

    def doc(self, clusters: Iterable[tuple[str, Iterable[int]]] = ()) -> dict:
        """The page's JSON value; ``clusters``: (id, member capture indices), ranked."""
        groups = [[self.s(cid), list(members), self.flame(members)] for cid, members in clusters]
        everything = self.flame()
        return {
            "v": 1,
            "s": self.strings,
            "f": self.frames,
            "l": self.locals,
            "k": self.stacks,
            "c": self.captures,
            "g": groups,
            "a": everything,
        }
