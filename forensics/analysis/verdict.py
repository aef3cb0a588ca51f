"""Verdicts, jstack-style: who holds what, who waits for what, in words a tired on-call engineer can act on.

Combines the thread classification with the source (``source.py``: the ``with``/``acquire``
statements around each frame's line), shared futex addresses from /proc, and the GIL owner.
Pure: a raw capture dict (or a ``Capture``) in, verdicts out; reading source files is the only
I/O and is skipped with ``read_source=False``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from forensics.analysis import classify as C
from forensics.analysis.classify import ThreadAnalysis
from forensics.analysis.normalize import normalize_frame
from forensics.analysis.source import lock_facts


@dataclass(frozen=True, slots=True)
class LockRef:
    """A lock as the source names it (``lock_a``, ``self._buffer_lock``) and where it is taken or awaited."""

    name: str
    file: str | None = None
    line: int | None = None

    def where(self) -> str:
        return f"{os.path.basename(self.file)}:{self.line}" if self.file and self.line else "?"


@dataclass(frozen=True, slots=True)
class ThreadRole:
    thread: int  # index in capture.threads
    tid: int | None
    name: str | None
    category: str
    function: str | None
    location: str  # file:line of the blocking frame
    holds: tuple[LockRef, ...] = ()
    waits_for: LockRef | None = None

    def label(self) -> str:
        return f'thread "{self.name or "?"}" (tid {self.tid if self.tid is not None else "?"})'


@dataclass(frozen=True, slots=True)
class Verdict:
    """``kind``: deadlock, gil, lock, io, subprocess, pool, flock, busy, queue, join, wait, sleep, idle, unknown."""

    kind: str
    text: str
    roles: tuple[ThreadRole, ...] = ()
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "evidence": list(self.evidence),
            "threads": [
                {
                    "thread": r.thread, "tid": r.tid, "name": r.name, "category": r.category,
                    "function": r.function, "location": r.location,
                    "holds": [{"name": h.name, "where": h.where()} for h in r.holds],
                    "waits_for": None if r.waits_for is None else {"name": r.waits_for.name,
                                                                   "where": r.waits_for.where()},
                }
                for r in self.roles
            ],
        }


_KIND = {
    C.LOCK_WAIT: "lock", C.GIL_WAIT: "gil", C.GIL_HOLDER_BLOCKED: "gil", C.SOCKET_READ: "io",
    C.SOCKET_ACCEPT: "wait", C.CONNECT: "io", C.PIPE_READ: "io", C.SELECT: "wait", C.SUBPROCESS_WAIT: "subprocess",
    C.POOL_WAIT: "pool", C.FLOCK: "flock", C.BUSY: "busy", C.QUEUE_GET: "queue", C.QUEUE_PUT: "queue",
    C.JOIN: "join", C.CONDITION_WAIT: "wait", C.SLEEP: "sleep", C.IDLE: "idle", C.UNKNOWN: "unknown",
}
_RANK = ["deadlock", "gil", "lock", "io", "subprocess", "pool", "flock", "busy", "queue", "join", "wait",
         "sleep", "unknown", "idle"]


def _frame_at(t: dict, i: int | None) -> dict | None:
    frames = t.get("frames")
    if isinstance(frames, list) and i is not None and 0 <= i < len(frames) and isinstance(frames[i], dict):
        return frames[i]
    return None


def _where(f: dict | None) -> str:
    if not f:
        return "?"
    file = f.get("file") if isinstance(f.get("file"), str) else None
    line = f.get("line")
    return f"{os.path.basename(file) if file else '?'}:{line if isinstance(line, int) else '?'}"


def _role(ta: ThreadAnalysis, t: dict, read_source: bool) -> tuple[ThreadRole, bool]:
    """The thread's role, with the locks the source says it holds and awaits; also whether the source was read."""
    f = _frame_at(t, ta.blocking_frame)
    function = normalize_frame(f.get("kind"), f.get("function"), f.get("file"), f.get("module")).function if f else None
    holds: list[LockRef] = []
    waits: LockRef | None = None
    readable = False
    if read_source and isinstance(t.get("frames"), list):
        for i, fr in enumerate(t["frames"][ta.blocking_frame or 0:]):
            if not isinstance(fr, dict) or fr.get("kind") == "native":
                continue
            nf = normalize_frame(fr.get("kind"), fr.get("function"), fr.get("file"), fr.get("module"))
            if not nf.is_user:
                continue
            file, line = fr.get("file"), fr.get("line")
            facts = lock_facts(file if isinstance(file, str) else None, line if isinstance(line, int) else None)
            readable = readable or facts.readable
            if i == 0 and facts.waits_for and ta.category in (C.LOCK_WAIT, C.UNKNOWN, C.GIL_WAIT):
                waits = LockRef(facts.waits_for, file, line)
            for name, at in facts.holds:
                if all(h.name != name for h in holds):
                    holds.append(LockRef(name, file, at))
    return ThreadRole(ta.index, ta.tid, ta.name, ta.category, function, _where(f), tuple(holds), waits), readable


def _find_cycle(edges: dict[int, int]) -> list[int] | None:
    for start in edges:
        seen: list[int] = []
        node = start
        while node in edges and node not in seen:
            seen.append(node)
            node = edges[node]
        if node in seen:
            return seen[seen.index(node):]
    return None


def verdicts_from(raw: dict, threads: list[ThreadAnalysis], read_source: bool = True) -> tuple[Verdict, ...]:
    raw_threads = raw.get("threads") if isinstance(raw.get("threads"), list) else []
    if not raw_threads:
        return (Verdict("unknown", "no threads in this capture: nothing to explain"),)
    out: list[Verdict] = []
    roles: dict[int, ThreadRole] = {}
    unreadable = set()
    for ta in threads:
        if ta.benign or ta.category in (C.IDLE,):
            continue
        t = raw_threads[ta.index] if isinstance(raw_threads[ta.index], dict) else {}
        role, readable = _role(ta, t, read_source and ta.category in (C.LOCK_WAIT, C.UNKNOWN, C.CONDITION_WAIT,
                                                                     C.GIL_WAIT, C.JOIN, C.SUBPROCESS_WAIT,
                                                                     C.SLEEP, C.POOL_WAIT))
        if role.waits_for is not None and ta.category in (C.UNKNOWN, C.GIL_WAIT) and ta.syscall in (None, "futex"):
            # the source says the frame is on a `with lock:` / `lock.acquire()` line: a lock wait
            role = ThreadRole(role.thread, role.tid, role.name, C.LOCK_WAIT, role.function, role.location,
                              role.holds, role.waits_for)
        if read_source and not readable:
            unreadable.add(role.location)
        roles[ta.index] = role
    by_index = {ta.index: ta for ta in threads}

    # lock graph: A waits for a lock that B holds (same name in the same module)
    holders: dict[tuple[str, str], int] = {}
    for r in roles.values():
        for h in r.holds:
            holders.setdefault((os.path.basename(h.file or ""), h.name), r.thread)
    edges: dict[int, int] = {}
    for r in roles.values():
        if r.waits_for is not None:
            owner = holders.get((os.path.basename(r.waits_for.file or ""), r.waits_for.name))
            if owner is not None and owner != r.thread:
                edges[r.thread] = owner
    # threads parked on the same futex word wait for the same lock
    futex_groups: dict[int, list[int]] = {}
    for ta in threads:
        if ta.syscall == "futex" and ta.syscall_args and ta.category in (C.LOCK_WAIT, C.UNKNOWN):
            futex_groups.setdefault(ta.syscall_args[0], []).append(ta.index)
    shared = [f"{len(v)} threads wait on the same futex {k:#x}" for k, v in futex_groups.items() if len(v) > 1]

    cycle = _find_cycle(edges)
    if cycle:
        lines = [f"Found a Python-level deadlock between {len(cycle)} threads:"]
        for i in cycle:
            r = roles[i]
            held = [h for h in r.holds if holders.get((os.path.basename(h.file or ""), h.name)) == i]
            held_txt = ", ".join(f"`{h.name}` ({h.where()})" for h in held) or "?"
            lines.append(f"  {r.label()} in {r.function}() holds {held_txt} and waits for "
                         f"`{r.waits_for.name}` ({r.waits_for.where()})")
        out.append(Verdict("deadlock", "\n".join(lines), tuple(roles[i] for i in cycle),
                           ("with/acquire statements read from the source",) + tuple(shared)))

    holder = next((ta for ta in threads if ta.category == C.GIL_HOLDER_BLOCKED), None)
    if holder is not None:
        waiters = [ta for ta in threads if ta.category == C.GIL_WAIT]
        r = roles.get(holder.index)
        in_call = f" (in {r.function}() at {r.location})" if r else ""
        names = ", ".join(f'"{w.name}"' for w in waiters[:6]) + (", ..." if len(waiters) > 6 else "")
        text = (f'thread "{holder.name}" (tid {holder.tid}) {holder.detail}{in_call}; '
                f"{len(waiters)} thread(s) wait for the GIL" + (f": {names}" if waiters else ""))
        out.append(Verdict("gil", text, tuple(roles[w.index] for w in [holder] + waiters if w.index in roles),
                           ("owns_gil reported by py-spy",)))

    in_cycle = set(cycle or ())
    for ta in threads:
        r = roles.get(ta.index)
        if r is None or ta.index in in_cycle or ta is holder or (holder is not None and ta.category == C.GIL_WAIT):
            continue
        out.append(_thread_verdict(ta, r, roles, holders, by_index, shared))
    if not out:
        idle = [ta for ta in threads if ta.benign]
        out.append(Verdict("idle", f"every thread is idle by design ({len(idle)} pool/server threads waiting "
                                   f"for work): no hang in this capture"))
    notes = tuple(f"source not readable for {loc}" for loc in sorted(unreadable))
    if notes:
        out = [Verdict(v.kind, v.text, v.roles, v.evidence + notes) for v in out]
    waiting = [r for r in roles.values() if r.category == C.LOCK_WAIT and r.thread not in set(cycle or ())]
    running = any(ta.category == C.BUSY for ta in threads)
    if not cycle and len(waiting) >= 2 and not running:
        parts = "; ".join(f"{r.label()} in {r.function}() at {r.location}" for r in waiting[:4])
        why = "source files not readable to confirm" if unreadable else "the source does not name the locks"
        out.append(Verdict("deadlock", f"{len(waiting)} threads wait for locks and no thread runs: likely a lock-order "
                                       f"deadlock ({why}): {parts}", tuple(waiting), tuple(shared)))
    out.sort(key=lambda v: (_RANK.index(v.kind) if v.kind in _RANK else len(_RANK), parked_last(v, by_index),
                            main_last(v)))
    return tuple(out)


def main_last(v: Verdict) -> int:
    """Among verdicts of one kind, a worker thread explains more than the main thread supervising it."""
    return 1 if v.roles and v.roles[0].name == "MainThread" else 0


def parked_last(v: Verdict, by_index: dict[int, ThreadAnalysis]) -> int:
    return 1 if v.roles and all(by_index[r.thread].parked for r in v.roles if r.thread in by_index) else 0


def _thread_verdict(ta, r: ThreadRole, roles, holders, by_index, shared) -> Verdict:
    who = f"{r.label()} in {r.function}() at {r.location}"
    cat = r.category
    kind = _KIND.get(cat, "unknown")
    if cat == C.LOCK_WAIT:
        if r.waits_for is not None:
            owner = holders.get((os.path.basename(r.waits_for.file or ""), r.waits_for.name))
            if owner is not None and owner != ta.index:
                o = roles[owner]
                text = f"{who} waits for `{r.waits_for.name}`, held by {o.label()} in {o.function}() at {o.location}"
            else:
                text = (f"{who} waits for `{r.waits_for.name}` and no thread in this process holds it: it was "
                        f"taken by a thread that is gone, or copied held into a forked child")
        else:
            text = f"{who} waits for a lock (in {ta.detail})"
        return Verdict(kind, text, (r,), tuple(shared))
    if cat == C.SOCKET_READ:
        no_timeout = ta.syscall in ("recvfrom", "recvmsg", "recv", "read")
        what = "an HTTP response" if "HTTP" in ta.detail else ("an SSL read" if "SSL" in ta.detail else "a socket")
        tail = " with no timeout (blocked in recv, not polling)" if no_timeout else ""
        return Verdict(kind, f"{who} is blocked reading {what}{tail}", (r,))
    texts = {
        C.SOCKET_ACCEPT: "waits in accept() for a connection",
        C.CONNECT: "is blocked connecting a socket",
        C.PIPE_READ: "is blocked reading a pipe or file" + (" (read syscall)" if ta.syscall == "read" else ""),
        C.SUBPROCESS_WAIT: "waits for a child process to exit, with no timeout",
        C.POOL_WAIT: f"waits for a result from a worker pool ({ta.detail}) with no timeout",
        C.FLOCK: "is blocked in flock(): another process (or open file) holds the lock",
        C.BUSY: "is busy on a CPU (a loop that does not finish)",
        C.QUEUE_GET: f"waits in {ta.detail} with no timeout: nothing is put into the queue",
        C.QUEUE_PUT: f"is blocked in {ta.detail}: nothing takes from the queue",
        C.JOIN: f"waits in {ta.detail} for a thread that never finishes",
        C.CONDITION_WAIT: f"waits in {ta.detail}: nothing sets or notifies it",
        C.SLEEP: "sleeps",
        C.SELECT: f"waits in {ta.detail}",
        C.UNKNOWN: f"is stopped: {ta.detail}",
        C.GIL_WAIT: "waits for the GIL",
    }
    text = f"{who} {texts.get(cat, ta.detail if cat != C.UNKNOWN else 'is stopped; ' + ta.detail)}"
    if r.holds:
        text += " while holding " + ", ".join(f"`{h.name}` ({h.where()})" for h in r.holds)
    return Verdict(kind, text, (r,))
