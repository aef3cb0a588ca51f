"""Verdicts, jstack-style: who holds what, who waits for what, in words a tired on-call engineer can act on.

Combines the thread classification with the source (``source.py``: the ``with``/``acquire``
statements around each frame's line), shared futex addresses from /proc, and the GIL owner.
Pure: a raw capture dict (or a ``Capture``) in, verdicts out; reading source files is the only
I/O and is skipped with ``read_source=False``.
"""
from __future__ import annotations

import itertools
import os

from forensics import lazy
from forensics.analysis import classify as C
from forensics.analysis.classify import ThreadAnalysis
from forensics.analysis.culprit import (
    DEPENDENT,
    app_modules,
    awaits,
    presumed_lock,
    ranks,
    stuck_awaited,
    supervise,
    unseen_awaited,
)
from forensics.analysis.normalize import normalize_frame
from forensics.analysis.source import JOIN_CALL, LockFacts, lock_facts
from forensics.analysis.source_roots import NO_ROOTS, SourceRoots
from forensics.records import record, replace


@record
class LockRef:
    """A lock as the source names it (``lock_a``, ``self._buffer_lock``) and where it is taken or awaited."""

    name: str
    file: str | None = None
    line: int | None = None
    # which lock this is (source.py): "Inventory._lock" for self._lock in Inventory, the name of a global,
    # "" for an alias (a parameter or local: which lock depends on the caller), None when not known
    ident: str | None = None

    def key(self) -> tuple[str, str] | None:
        """What makes two references the same lock: (module file, identity); None for an alias."""
        if self.ident == "":
            return None
        return os.path.basename(self.file or ""), self.ident or self.name

    def shown(self) -> str:
        """``self._lock`` of class Inventory is shown as ``Inventory._lock``."""
        return self.ident if self.ident and self.name.startswith(("self.", "cls.")) else self.name

    def where(self) -> str:
        return f"{os.path.basename(self.file)}:{self.line}" if self.file and self.line else "?"


@record
class ThreadRole:
    """One thread's part in a verdict (which lock it holds and waits for, and where), so text and JSON agree."""

    thread: int  # index in capture.threads
    tid: int | None
    name: str | None
    category: str
    function: str | None
    location: str  # file:line of the blocking frame
    holds: tuple[LockRef, ...] = ()
    waits_for: LockRef | None = None
    statement: str | None = None  # the source statement at the blocking frame, when readable
    selects_once: str | None = None  # the multiplexer call with no timeout outside any loop on that line (source.py)
    # how a stop reaches the thread (source.py's LockFacts): the flags its loops test (every application frame's),
    # what its blocking line waits on, and, when that line joins, what its function did to stop the joined threads
    loop_flags: tuple[str, ...] = ()
    waits_on: str | None = None
    stops: tuple[str, ...] = ()
    wakes: tuple[str, ...] = ()
    hands: tuple[tuple[str, str, str], ...] = ()  # Events and queues handed only to the threads it started
    parks: bool = False  # waits on an Event its function made and lets no other code reach (source.py)

    def at(self) -> str:
        """' in f() at file.py:41', or nothing when no Python frame says where (native-only stacks)."""
        return f" in {self.function}() at {self.location}" if self.function else ""

    def at_function(self) -> str:
        return f" in {self.function}()" if self.function else ""

    def label(self) -> str:
        return f'thread "{self.name or "?"}" (tid {self.tid if self.tid is not None else "?"})'


@record
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


# a multiplexer (select/poll/epoll, selectors) waits for I/O readiness of a set of fds, never for a condition
_KIND = {
    C.LOCK_WAIT: "lock", C.GIL_WAIT: "gil", C.GIL_HOLDER_BLOCKED: "gil", C.SOCKET_READ: "io",
    C.SOCKET_ACCEPT: "wait", C.CONNECT: "io", C.PIPE_READ: "io", C.SELECT: "io", C.SUBPROCESS_WAIT: "subprocess",
    C.POOL_WAIT: "pool", C.FLOCK: "flock", C.BUSY: "busy", C.QUEUE_GET: "queue", C.QUEUE_PUT: "queue",
    C.JOIN: "join", C.CONDITION_WAIT: "wait", C.SLEEP: "sleep", C.IDLE: "idle", C.UNKNOWN: "unknown",
}
# a join waits for another thread, whose own wait is the cause when that thread is in the capture: it ranks last
KIND_ORDER = ["deadlock", "gil", "lock", "io", "subprocess", "pool", "flock", "busy", "queue", "wait", "sleep", "join",
         "unknown", "idle"]


_CONDITION_WAIT = lazy.compile(r"([\w.]+)\.wait(?:_for)?\(")


def _frame_at(t: dict, i: int | None) -> dict | None:
    frames = t.get("frames")
    if isinstance(frames, list) and i is not None and 0 <= i < len(frames) and isinstance(frames[i], dict):
        return frames[i]
    return None


_ANONYMOUS = frozenset({"<genexpr>", "<listcomp>", "<dictcomp>", "<setcomp>"})


def _named_frame(t: dict, i: int | None) -> dict | None:
    """The frame a verdict names: the blocking frame, or for a generator expression or comprehension the function it
    runs in (3.12+ inlines comprehensions, so only that function is there on every version; ``<genexpr>()`` names no
    call site a reader can find)."""
    f = _frame_at(t, i)
    frames = t.get("frames") if f is not None else None
    k = i
    while f is not None and _function(f) in _ANONYMOUS and frames is not None and k is not None:
        k += 1
        outer = next((j for j in range(k, len(frames)) if isinstance(frames[j], dict)
                      and frames[j].get("kind") != "native"), None)
        if outer is None:
            break
        nf = frames[outer]
        if normalize_frame(nf.get("kind"), nf.get("function"), nf.get("file"), nf.get("module")).origin != "app":
            break
        f, k = nf, outer
    return f


def _function(f: dict) -> str:
    return normalize_frame(f.get("kind"), f.get("function"), f.get("file"), f.get("module")).function


def _where(f: dict | None) -> str:
    if not f:
        return "?"
    file = f.get("file") if isinstance(f.get("file"), str) else None
    line = f.get("line")
    return f"{os.path.basename(file) if file else '?'}:{line if isinstance(line, int) else '?'}"


def _role(
    ta: ThreadAnalysis, t: dict, read_source: bool, facts_seen: dict[tuple[str | None, int | None], LockFacts],
    stacks_seen: dict[tuple, tuple] | None = None, roots: SourceRoots = NO_ROOTS,
) -> tuple[ThreadRole, bool]:
    """The thread's role, with the locks the source says it holds and awaits; also whether the source was read.

    ``facts_seen`` memoizes lock_facts per (file, line) for one capture: a pool repeats the same frames.
    ``stacks_seen`` memoizes the rest per stack and category: a pool's threads share their frame dicts (the
    capture's to_dict), so a stack already seen is known by the identity of its frames.
    """
    frames = t.get("frames")
    key = (ta.blocking_frame, ta.category, tuple(map(id, frames))) if stacks_seen is not None and isinstance(
        frames, list) else None
    seen = stacks_seen.get(key) if key is not None else None
    if seen is not None:
        return ThreadRole(ta.index, ta.tid, ta.name, ta.category, *seen[0]), seen[1]
    f = _named_frame(t, ta.blocking_frame)
    function = normalize_frame(f.get("kind"), f.get("function"), f.get("file"), f.get("module")).function if f else None
    holds: list[LockRef] = []
    waits: LockRef | None = None
    readable = False
    statement = None
    once = None
    flags: set[str] = set()
    waits_on, stops, wakes, hands, parks = None, (), (), (), False
    seen_user = False
    if read_source and isinstance(t.get("frames"), list):
        for i, fr in enumerate(t["frames"][ta.blocking_frame or 0:]):
            if not isinstance(fr, dict) or fr.get("kind") == "native":
                continue
            nf = normalize_frame(fr.get("kind"), fr.get("function"), fr.get("file"), fr.get("module"))
            if not nf.is_user:
                continue
            file, line = fr.get("file"), fr.get("line")
            where = (file if isinstance(file, str) else None, line if isinstance(line, int) else None)
            facts = facts_seen.get(where)
            if facts is None:
                local = roots.resolve(where[0], fr.get("function"), where[1]) if roots else where[0]
                facts = facts_seen[where] = lock_facts(local, where[1])
            if not seen_user:  # the blocking line's own source: a library's readable file says nothing of the app's
                readable, seen_user = facts.readable, True
            flags.update(facts.loop_flags)
            if i == 0:
                statement, once = facts.statement, facts.selects_once
                waits_on, stops, wakes, hands, parks = (facts.waits_on, facts.stops, facts.wakes, facts.hands,
                                                        facts.parks)
            if i == 0 and facts.waits_for and ta.category in (C.LOCK_WAIT, C.UNKNOWN, C.GIL_WAIT):
                waits = LockRef(facts.waits_for, file, line, facts.ident.get(facts.waits_for))
            released = _CONDITION_WAIT.findall(facts.statement or "") if i == 0 else []
            for name, at in facts.holds:
                if name in released:
                    continue  # Condition.wait() releases its lock while it waits
                ref = LockRef(name, file, at, facts.ident.get(name))
                if all(h.name != name or h.key() != ref.key() or ref.key() is None for h in holds):
                    holds.append(ref)
    found = (function, _where(f), tuple(holds), waits, statement, once, tuple(sorted(flags)), waits_on, stops, wakes,
             hands, parks)
    if key is not None:
        stacks_seen[key] = (found, readable)
    return ThreadRole(ta.index, ta.tid, ta.name, ta.category, *found), readable


def _holding_besides(roles: dict[int, ThreadRole], threads: set[int]) -> list[ThreadRole]:
    """Threads other than ``threads`` that hold locks: what those threads wait for may be theirs."""
    return [r for r in roles.values() if r.holds and r.thread not in threads]


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


def from_source(raw: dict, threads: list[ThreadAnalysis], roots: SourceRoots = NO_ROOTS,
                memo: tuple[dict, dict] | None = None) -> list[ThreadAnalysis]:
    """What the source lines say of the waits a capture without kernel state (an imported dump, a core) cannot see:
    a multiplexer taken for an event loop, or a C call nothing shows, that selects once with no timeout outside any
    loop waits for one reply (an event loop selects again and again); a C call that waits for whoever comes
    (recvfrom(), accept()) is idle by design; a line that calls time.sleep() sleeps (it returns by itself: a
    thread in it is not one a join or an event may be waiting on); a sleep inside a database call (a DB-API execute() or commit(): no
    sleep on the line) is SQLite's busy handler waiting for another connection's lock. The inference across threads
    then runs again: a queue consumer fed by that datagram server rests too. ``memo``: _role's (facts_seen,
    stacks_seen)."""
    raw_threads = raw.get("threads") if isinstance(raw.get("threads"), list) else []
    facts_seen, stacks_seen = memo if memo is not None else ({}, {})
    out = list(threads)
    rests = False
    for at, ta in enumerate(out):
        event_loop = ta.benign and ta.category == C.IDLE and C.TAKEN_FOR_EVENT_LOOP in ta.detail
        unseen = ta.category == C.UNKNOWN and not ta.syscall
        sleeps = ta.category == C.SLEEP and "sqlite" not in ta.detail.lower()
        if not (event_loop or unseen or sleeps) or not isinstance(raw_threads[ta.index], dict):
            continue
        role, _ = _role(ta, raw_threads[ta.index], True, facts_seen, stacks_seen, roots)
        idle = _idle_call(role.statement) if unseen and role.statement else None
        if role.selects_once:
            out[at] = replace(ta, category=C.SELECT, benign=False, forever=True,
                              detail=f"`{role.selects_once}` (once, not in a loop)")
        elif sleeps and role.statement and _DB_CALL.search(role.statement) and not _SLEEP_CALL.search(role.statement):
            out[at] = replace(ta, detail=f"SQLite's busy handler ({ta.detail} inside `{role.statement}`: from the "
                                         f"source line)")
        elif idle is not None:
            why, mechanism = idle
            out[at] = replace(ta, category=C.IDLE, benign=True, signature=replace(ta.signature, mechanism=mechanism),
                              detail=f"idle by design ({why}: from the source line `{role.statement}`)")
            rests = True
        elif unseen and role.statement and _called(role.statement) == C.SLEEP:
            out[at] = replace(ta, category=C.SLEEP, detail=f"sleeps (from the source line `{role.statement}`)")
            rests = True
    return supervise(out) if rests else out


def verdicts_from(raw: dict, threads: list[ThreadAnalysis], read_source: bool = True,
                  roots: SourceRoots = NO_ROOTS, memo: tuple[dict, dict] | None = None) -> tuple[Verdict, ...]:
    """``memo``: the one from_source used on these threads, whose reads the verdicts then do not repeat."""
    raw_threads = raw.get("threads") if isinstance(raw.get("threads"), list) else []
    if not raw_threads:
        return (Verdict("unknown", "no threads in this capture: nothing to explain"),)
    out: list[Verdict] = []
    roles: dict[int, ThreadRole] = {}
    unreadable = set()
    facts_seen, stacks_seen = memo if memo is not None else ({}, {})
    if read_source:
        threads = from_source(raw, threads, roots, (facts_seen, stacks_seen))  # after a first pass: memo hits only
    parked: list[ThreadRole] = []  # waits on an Event no other code can reach: nothing else can wake it
    for ta in threads:
        if ta.benign or ta.category in (C.IDLE,):
            continue
        t = raw_threads[ta.index] if isinstance(raw_threads[ta.index], dict) else {}
        # every thread's source is read: the holder of a lock is as often stuck in I/O or a loop as in a wait
        role, readable = _role(ta, t, read_source, facts_seen, stacks_seen, roots)
        if role.waits_for is not None and ta.category in (C.UNKNOWN, C.GIL_WAIT) and ta.syscall in (None, "futex"):
            # the source says the frame is on a `with lock:` / `lock.acquire()` line: a lock wait
            role = replace(role, category=C.LOCK_WAIT)
        elif presumed_lock(ta) and not (read_source and readable):
            role = replace(role, category=C.LOCK_WAIT)  # a futex wait right under application code
        elif ta.category == C.UNKNOWN and not ta.syscall and role.statement:
            # nothing but the source says what the C call on that line is (an imported dump): sock.recv() reads
            called = _called(role.statement)
            if called is not None:
                role = replace(role, category=called)
        if read_source and not readable:
            unreadable.add(role.location)
        parks = ta.category == C.CONDITION_WAIT and ((role.parks and not ta.timed) or (
            role.statement and _PARKS_FOREVER.search(role.statement)))
        if parks or (read_source and readable and _keeps_alive(ta, role, threads)):
            parked.append(replace(role, category=C.IDLE))
            continue
        roles[ta.index] = role
    threads = _regex_from_source(threads, roles)
    threads, told = _shutdowns(raw_threads, threads, roles, (facts_seen, stacks_seen), roots) if read_source else (
        threads, {})
    by_index = {ta.index: ta for ta in threads}

    # lock graph: A waits for a lock that exactly one other thread B holds (same identity in the same module;
    # aliases never match, and a lock "held" by several threads is per instance or a semaphore: no edge)
    holding: dict[tuple[str, str], list[int]] = {}
    for r in roles.values():
        for h in r.holds:
            k = h.key()
            if k is not None and r.thread not in holding.setdefault(k, []):
                holding[k].append(r.thread)
    holders = {k: v[0] for k, v in holding.items() if len(v) == 1}
    edges: dict[int, int] = {}
    for r in roles.values():
        if r.waits_for is not None and not _semaphore(by_index.get(r.thread)):
            owner = holders.get(r.waits_for.key())
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
        lines = [f"lock-order deadlock between {len(cycle)} threads: " + _sites(roles[i] for i in cycle)]
        for i in cycle:
            r = roles[i]
            held = [h for h in r.holds if holders.get(h.key()) == i]
            held_txt = ", ".join(f"`{h.shown()}` ({h.where()})" for h in held) or "?"
            lines.append(f"  {r.label()}{r.at_function()} holds {held_txt} and waits for "
                         f"`{r.waits_for.shown()}` ({r.waits_for.where()})")
        out.append(Verdict("deadlock", "\n".join(lines), tuple(roles[i] for i in cycle),
                           ("with/acquire statements read from the source",) + tuple(shared)))
    else:
        by_args = _argument_order_deadlock(roles, by_index, holding, threads)
        if by_args is not None:
            out.append(by_args)
            cycle = [r.thread for r in by_args.roles]

    if not cycle:
        by_import = _import_deadlock(roles, by_index, raw_threads)
        if by_import is not None:
            out.append(by_import)
            cycle = [r.thread for r in by_import.roles]

    if not cycle:
        by_join = _join_under_lock(roles, threads) or _join_never_wakes(roles, threads, told)
        if by_join is not None:
            out.append(by_join)
            cycle = [r.thread for r in by_join.roles]

    holder = next((ta for ta in threads if ta.category == C.GIL_HOLDER_BLOCKED), None)
    if holder is not None:
        waiters = [ta for ta in threads if ta.category == C.GIL_WAIT]
        r = roles.get(holder.index)
        in_call = f" ({r.at().strip()})" if r and r.function else ""
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
        t = raw_threads[ta.index] if isinstance(raw_threads[ta.index], dict) else {}
        kernel = t.get("kernel") if isinstance(t.get("kernel"), dict) else {}
        peer = kernel.get("peer") if isinstance(kernel.get("peer"), str) else None
        if peer is not None and _from_child(raw, peer):
            peer = f"its child {peer}"
        watches = kernel.get("watches") if ta.category == C.SELECT else None
        if isinstance(watches, list) and watches:  # what a multiplexer waits on: its peers
            peer = ", ".join(str(w) for w in watches[:3]) + (", ..." if len(watches) > 3 else "")
        out.append(_thread_verdict(ta, r, roles, holding, by_index, shared, peer))
    if not out:
        idle = [ta for ta in threads if ta.benign]
        out.append(Verdict("idle", f"every thread is idle by design ({len(idle)} pool/server threads waiting "
                                   f"for work{_parks(parked)}): no hang in this capture{_work_elsewhere(raw)}",
                           tuple(parked)))
    notes = tuple(f"source not readable for {loc}" for loc in sorted(unreadable))
    if notes:
        out = [Verdict(v.kind, v.text, v.roles, v.evidence + notes) for v in out]
    in_cycle = set(cycle or ())
    waiting = [r for r in roles.values() if r.category == C.LOCK_WAIT and r.thread not in in_cycle
               and not _semaphore(by_index.get(r.thread))]
    running = any(ta.category == C.BUSY for ta in threads)
    # a lock-order deadlock needs two different locks: waiters that all wait for one known lock (same identity,
    # or one futex word) are contention on it, explained thread by thread
    keys = {r.waits_for.key() if r.waits_for is not None else None for r in waiting}
    words = {by_index[r.thread].syscall_args for r in waiting if by_index[r.thread].syscall_args}
    one_lock = len(waiting) >= 2 and ((None not in keys and len(keys) == 1) or (len(words) == 1 and all(
        by_index[r.thread].syscall_args for r in waiting)))
    # a thread that holds locks while stuck elsewhere (I/O, a sleep, a queue) may be what the waiters wait for
    waiting_threads = {r.thread for r in waiting}
    held_elsewhere = _holding_besides(roles, waiting_threads)
    # ... and nothing else is stuck on its own account (a blocked read holding the lock the others queue on)
    # ranked by what the source taught too (a lock wait, a read the frames alone could not show)
    pre_rank = ranks([replace(ta, category=roles[ta.index].category) if ta.index in roles
                      and roles[ta.index].category != ta.category else ta for ta in threads])
    stronger = any(pre_rank.get(ta.index, (9,))[0] == 0 and pre_rank[ta.index][1] < 3 for ta in threads
                   if ta.index not in waiting_threads)
    # ... and a cycle with no source to name the locks needs two call sites, or distinct futex words: waiters all on
    # one line, nothing else known, wait for the lock that line takes (one lock kept by a thread that is gone or
    # stuck) as likely as for locks from its arguments taken in opposite orders; that they wait for a lock is sure
    one_site = len({(r.function, r.location) for r in waiting}) == 1 and not all(
        by_index[r.thread].syscall_args for r in waiting)
    if (not cycle and len(waiting) >= 2 and not running and not one_lock and not held_elsewhere and not stronger
            and not one_site):
        why = "source files not readable to confirm" if unreadable else "the source does not name the locks"
        out.append(Verdict("deadlock", f"likely lock-order deadlock between {len(waiting)} threads: "
                                       f"{_sites(waiting)} (no thread runs; {why})",
                           tuple(waiting), tuple(shared)))
    # Deadlocks and the GIL holder first; then by the evidence that the thread is stuck on its own account
    # (culprit.py): a blocked read before a lock wait that may be behind it, before a join of a stuck thread,
    # before what has no evidence, before helpers' loops and GIL waiters.
    rank = pre_rank
    # a thread that sleeps holding a lock others wait for (a retry's backoff inside `with lock:`) is not stuck: it
    # keeps the lock across a sleep, and the waiters are the hang, its verdict right after theirs
    sleepers = {r.thread for r in roles.values() if r.category == C.SLEEP and r.holds}

    def order(v: Verdict) -> tuple:
        holder_blocked = any(by_index[r.thread].category == C.GIL_HOLDER_BLOCKED for r in v.roles if r.thread in by_index)
        first = rank.get(v.roles[0].thread, (9, 9, 9)) if v.roles else (9, 9, 9)
        if v.kind == "deadlock" or holder_blocked or JOIN_UNDER_LOCK in v.evidence or JOIN_NO_WAKE in v.evidence:
            first = (-1, 0, 0)
        elif UNSEEN_JOIN in v.evidence:
            first = (DEPENDENT, 9, 0)  # after the threads it may be joining
        elif v.roles and v.roles[0].category == C.LOCK_WAIT and first[0] == 0:
            first = (0, 3, 0)  # the source (or a futex) says lock: it ranks as one
        behind = 0
        owner = _owner(v, holders)
        if v.kind == "sleep" and v.roles and v.roles[0].thread in sleepers and any(
                _owner(w, holders) == v.roles[0].thread for w in out):
            first, behind = (0, 3, 0), 1
        elif owner is not None and owner in rank and owner not in sleepers:
            # waits for a lock a thread holds while stuck itself (a read, a child): right after that thread's verdict
            first, behind = max(first, rank[owner]), 1
        return first, behind, KIND_ORDER.index(v.kind) if v.kind in KIND_ORDER else len(KIND_ORDER), main_last(v)

    out.sort(key=order)
    if out and all(v.kind == "sleep" for v in out):
        out.insert(0, _at_rest(out, threads, parked))
    out = _consequences(out, by_index)
    return tuple(_with_fix(v) for v in out)


# A wait on an Event made in the same statement (`threading.Event().wait()`), or (source.py's ``parks``) made by
# its function and never let out of it: no other reference to it exists, so nothing can ever set or notify it;
# written on purpose, to park a thread (the main thread of a daemon whose other threads serve) forever
_PARKS_FOREVER = lazy.compile(r"\bEvent\(\s*\)\.wait\(\s*\)")

# C calls a source line names that wait, by design, for whoever comes, as a live capture reads them: a server's
# accept() (classify: idle, waits for a connection) and recvfrom(), whose (data, sender) is how a socket connected to
# no one peer -- a datagram server's -- is read (classify: an unconnected UDP socket's read is idle); with the
# mechanism a live capture gives them
_IDLE_CALLS = tuple((lazy.compile(p), why, mechanism) for p, why, mechanism in (
    (r"\.accept\(", "waits for a connection in accept()", "socket:accept"),
    (r"\.recvfrom(?:_into)?\(", "waits in recvfrom() for datagrams from anyone", C.DATAGRAM_WAIT),
))


def _idle_call(statement: str) -> tuple[str, str] | None:
    return next(((why, mechanism) for rx, why, mechanism in _IDLE_CALLS if rx.search(statement)), None)


# A DB-API call that sleeps in C: of the drivers, only sqlite3's busy handler sleeps (others wait on their server's
# socket), retrying while another connection holds the database locked, up to the connection's timeout
_DB_CALL = lazy.compile(r"\.(?:execute|executemany|executescript|commit)\(")
_SLEEP_CALL = lazy.compile(r"\bsleep\(")


# C calls a source line names, when the capture has neither kernel state nor native frames to show them
# (the stdlib's blocking C calls: a socket's recv/accept/connect, a file's read, flock/lockf, a sleep, a child's wait;
# a wait, join or get with no argument -- no timeout -- of a C implementation: SimpleQueue.get())
# A read of a Popen's pipe (``proc.stdout.read()``, ``for line in proc.stdout``; never ``sys.stdout``): it ends when the
# child writes or closes its end (at its exit): the read waits for the child, the verdict names it.
_CHILD_OUTPUT = r"(?<!\bsys)\.(?:stdout|stderr)\.read(?:line|lines|into|1)?\(|\bfor\b.*\bin\s+(?!sys\.)[\w.]+\.std(?:out|err)\b"
_CHILD_OUTPUT_LINE = lazy.compile(_CHILD_OUTPUT)
_CALLS = tuple((lazy.compile(p), cat) for p, cat in (
    (r"\.recv(?:_into|msg)?\(", C.SOCKET_READ), (r"\.connect(?:_ex)?\(", C.CONNECT),
    (r"\b(?:fcntl\.)?(?:flock|lockf)\(", C.FLOCK), (r"\btime\.sleep\(|^sleep\(", C.SLEEP),
    (_CHILD_OUTPUT, C.PIPE_READ),
    (r"\bos\.read\(|\.read(?:line|lines|into)?\(", C.PIPE_READ), (r"\bos\.wait(?:pid|4)?\(", C.SUBPROCESS_WAIT),
    (r"\.get\(\s*\)", C.QUEUE_GET), (r"\.join\(\s*\)", C.JOIN), (r"\.wait\(\s*\)", C.CONDITION_WAIT),
))
FROM_SOURCE = "category from the source line (no kernel state, no native frames)"


def _work_elsewhere(raw: dict) -> str:
    """An idle master (celery's, gunicorn's arbiter, RQ's worker beside its work horse) hands the work to its child
    processes: a hang, if there is one, is in them, and the capture says which they are."""
    proc = raw.get("process") if isinstance(raw.get("process"), dict) else {}
    kids = [k for k in proc.get("children") or () if isinstance(k, int)]
    if not kids:
        return ""
    listed = ", ".join(map(str, kids[:8])) + (", ..." if len(kids) > 8 else "")
    many = len(kids) > 1
    return (f"; the work runs in its child process{'es' if many else ''} {listed}: `hangdump collect --children` "
            f"captures {'them' if many else 'it'} too")


def _at_rest(sleeping: list[Verdict], threads: list[ThreadAnalysis], parked: list[ThreadRole]) -> Verdict:
    """The first verdict of a process whose only threads with a verdict sleep in loops (heartbeats, pollers): no hang,
    said before the sleepers, which stay listed as what the process was doing."""
    names = [f'"{r.name}" in {r.function}()' if r.function else f'"{r.name}"' for v in sleeping for r in v.roles[:1]]
    idle = sum(1 for ta in threads if ta.benign)
    what = f"{len(names)} sleeping in loops ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})" + (
        f", {idle} idle by design" if idle else "")
    return Verdict("idle", f"no hang in this capture: no thread is stuck ({what}{_parks(parked)})", tuple(parked))


def _parks(parked: list[ThreadRole]) -> str:
    return "".join(f"; {r.label()}{r.at()} parks forever on `{r.statement}` by design: "
                   + ("it joins loops nothing here tells to stop" if JOIN_CALL.search(r.statement or "") else
                      "nothing else can wake it")
                   + ", the idiom that keeps a process up while its other threads work" for r in parked[:2])


_REGEX_LINE = lazy.compile(r"\bre\.(?:match|search|fullmatch|findall|finditer|sub|subn|split)\(|"
                           r"\.(?:match|search|fullmatch|findall|finditer|subn?)\(")


def _regex_from_source(threads: list[ThreadAnalysis], roles: dict[int, ThreadRole]) -> list[ThreadAnalysis]:
    """A busy GIL owner whose source line runs a regular expression (a compiled pattern's method has no Python frame,
    and without native frames nothing else shows the engine) holds the GIL in C (classify._in_regex): likely."""
    if any(ta.category == C.GIL_HOLDER_BLOCKED for ta in threads):
        return threads
    out = list(threads)
    for k, ta in enumerate(out):
        r = roles.get(ta.index)
        if ta.category == C.BUSY and ta.owns_gil and r is not None and r.statement and _REGEX_LINE.search(r.statement):
            out[k] = replace(ta, category=C.GIL_HOLDER_BLOCKED,
                             detail=f"{C.REGEX_HOLD} (likely: from the source line `{r.statement}`): the regex "
                                    f"engine never releases it")
            roles[ta.index] = replace(r, category=C.GIL_HOLDER_BLOCKED)
    return out


def _called(statement: str) -> str | None:
    return next((cat for rx, cat in _CALLS if rx.search(statement)), None)


def _owner(v: Verdict, holders: dict) -> int | None:
    """The thread holding the one lock a single-thread lock verdict waits for, when the source names its holder."""
    if v.kind != "lock" or len(v.roles) != 1 or v.roles[0].waits_for is None:
        return None
    owner = holders.get(v.roles[0].waits_for.key())
    return owner if owner != v.roles[0].thread else None


def _sites(roles) -> str:
    """``settle() at billing.py:41 ↔ reconcile() at billing.py:88``: the call sites of a deadlock, in cycle order."""
    return " ↔ ".join(f"{r.function or '?'}() at {r.location}" for r in roles)


# A thread whose wait ends only when another thread of the process finishes or lets go of something.
_DEPENDENT = frozenset({C.JOIN, C.POOL_WAIT, C.LOCK_WAIT, C.CONDITION_WAIT, C.GIL_WAIT})


def _consequences(out: list[Verdict], by_index: dict[int, ThreadAnalysis]) -> list[Verdict]:
    """Below the top verdict, a thread that waits for a thread (a join, a future, a main thread's event) or for a
    lock no named thread holds, while the top verdict's thread is stuck, is said to be its consequence."""
    if len(out) < 2 or not out[0].roles or out[0].kind in ("idle", "unknown"):
        return out
    top = out[0]
    culprits = {r.thread for r in top.roles}
    who = ", ".join(r.label() for r in top.roles[:3])
    res = [top]
    for v in out[1:]:
        r = v.roles[0] if len(v.roles) == 1 else None
        ta = by_index.get(r.thread) if r is not None else None
        dependent = (
            ta is not None and r.thread not in culprits and r.category in _DEPENDENT and " held by " not in v.text
            and not ta.parked and not ta.timed
            and (r.category != C.CONDITION_WAIT or r.name == "MainThread")
        )
        if dependent:
            lead, _, rest = v.text.partition("\n")
            stuck = "which are stuck" if len(top.roles) > 1 else "which is stuck"
            v = Verdict(v.kind, f"{lead}; waits for {who}, {stuck}: see above" + (f"\n{rest}" if rest else ""),
                        v.roles, v.evidence + ("consequence of the verdict above",))
        res.append(v)
    return res


def _with_fix(v: Verdict) -> Verdict:
    fix = fix_for(v)
    if not fix or "consequence of the verdict above" in v.evidence or UNSEEN_JOIN in v.evidence:
        return v
    return Verdict(v.kind, f"{v.text}\n  fix: {fix}", v.roles, v.evidence)


def fix_for(v: Verdict) -> str | None:
    """What a reviewer would propose for this kind of hang at this call site."""
    r = v.roles[0] if v.roles else None
    at = f" in {r.function}() ({r.location})" if r is not None and r.function else ""
    text = v.text.split("\n", 1)[0]
    if v.kind == "deadlock":
        if SELF_DEADLOCK in text:
            return (f"make the lock re-entrant (threading.RLock()) or do not call code that takes it while "
                    f"holding it{at} (a helper that expects the lock held, e.g. _locked())")
        if "import lock" in text:
            return "do not wait for other threads in module-level code: move the work out of import time"
        locks = []
        for role in v.roles:
            for ref in role.holds + ((role.waits_for,) if role.waits_for else ()):
                if ref.shown() not in locks:
                    locks.append(ref.shown())
        named = " and ".join(f"`{n}`" for n in locks[:4])
        sites = " and ".join(f"{x.function}()" for x in v.roles[:4] if x.function)
        return (f"take {named or 'the locks'} in one global order everywhere ({sites or 'every thread'}), or "
                f"take them together under one outer lock")
    if v.kind == "gil" and "regular expression" in text:
        return (f"the regular expression{at} backtracks without releasing the GIL: remove nested or overlapping "
                f"quantifiers ((a+)+, (a|ab)*; atomic groups and possessive quantifiers since 3.11), bound the input's "
                f"length, or match untrusted input in a subprocess with a timeout")
    if v.kind == "gil" and any(x.category == C.GIL_HOLDER_BLOCKED for x in v.roles):
        return (f"the C call{at} blocks while holding the GIL: load its library with ctypes.CDLL (which releases "
                f"the GIL during calls) instead of ctypes.PyDLL, or release the GIL in the extension "
                f"(Py_BEGIN_ALLOW_THREADS)")
    if r is None:
        return None
    return next((fix.format(at=at) for cat, phrase, fix in _FIXES if cat == r.category and phrase in text), None)


_FORK_FIX = ("release the lock on every path (`with lock:` rather than acquire()/release()); after fork(), re-create "
             "or reset locks in the child (os.register_at_fork(after_in_child=...)); acquire{at} with a timeout to "
             "fail loudly")
# The fix for one thread's wait: (its category, a phrase its verdict says or "" for any, the fix; ``{at}`` is
# " in f() (file.py:41)"). The first row that matches is the fix: specific phrases before a category's default.
_FIXES: tuple[tuple[str, str, str], ...] = (
    (C.SOCKET_READ, "on each try", ("bound the whole request, not each try{at}: a total deadline or a retry cap "
                                   "(redis-py Retry(backoff, retries=N), urllib3 Retry(total=N)), and a timeout on "
                                   "the wait for it (future.result(timeout=), join(timeout=))")),
    (C.SOCKET_READ, "HTTP", "pass a timeout to the HTTP call{at}: urlopen(..., timeout=), requests.get(..., timeout=)"),
    (C.SOCKET_READ, "", ("set a timeout on the socket{at}: sock.settimeout(...) or socket.create_connection(..., "
                        "timeout=)")),
    (C.CONNECT, "", "connect with a timeout{at}: socket.create_connection(addr, timeout=)"),
    (C.PIPE_READ, "child process's output", ("read the child's output with communicate(timeout=){at}: it drains "
                                            "stdout and stderr together, so neither pipe fills, and gives up at the "
                                            "timeout (then kill the child); send what is not read to a file or "
                                            "subprocess.DEVNULL; capture the child to see why it is silent "
                                            "(collect --children)")),
    (C.PIPE_READ, "", ("read with a timeout{at} (select/poll on the fd, Connection.poll(timeout)) and close unused "
                      "pipe ends in every process, so the reader sees EOF")),
    (C.LOCK_WAIT, "no thread in this process holds it", _FORK_FIX),
    (C.LOCK_WAIT, "copied held into a forked child", _FORK_FIX),
    (C.LOCK_WAIT, " held by ", ("do not hold the lock across blocking calls (I/O, waits); give the holder's call a "
                               "timeout")),
    (C.LOCK_WAIT, "", "acquire with a timeout{at} (lock.acquire(timeout=)), and release the lock on every path"),
    (C.QUEUE_GET, "task_done() never called", ("call q.task_done() once for every q.get(), in a finally: so that a "
                                               "failing item counts too{at}; or track the work with futures and "
                                               "wait for them with a timeout")),
    (C.QUEUE_GET, "", ("Queue.get(timeout=){at}, and have the producer put a sentinel (or the error) on its failure "
                      "path")),
    (C.QUEUE_PUT, "", "Queue.put(timeout=){at}, and keep the consumer alive (or make the queue unbounded)"),
    (C.CONDITION_WAIT, "", ("wait with a timeout{at} (event.wait(timeout) / cond.wait_for(pred, timeout)), and "
                           "set()/notify() on every path of the code that should wake it, the early-return and error "
                           "paths too")),
    (C.JOIN, "a join under a lock", ("release the lock before joining{at} (join outside the `with`/acquire block), or "
                                    "hand the thread what it needs instead of the lock; join(timeout=) to fail "
                                    "loudly")),
    (C.JOIN, "a stop that never reaches", ("wake the threads when stopping them{at}: after setting their flag, put "
                                          "a sentinel on the queue they wait on (one per thread), set the event "
                                          "they wait for, or shut down the socket they block in "
                                          "(sock.shutdown(socket.SHUT_RDWR)), before the join and on every path; "
                                          "join(timeout=)")),
    (C.JOIN, "when told to stop", ("tell the threads to stop before joining them{at} (set their stop event, put a "
                                  "sentinel on their queue), and join(timeout=)")),
    (C.JOIN, "", "join(timeout=){at}, and find why the joined thread never ends (its own verdict)"),
    (C.SUBPROCESS_WAIT, "multiprocessing", ("join the process with a timeout{at} (Process.join(timeout=), then "
                                           "check exitcode), and take what it sends first: a child that put data on a "
                                           "multiprocessing.Queue cannot exit before it is read (get() before "
                                           "join())")),
    (C.SUBPROCESS_WAIT, "", ("wait for the child with a timeout{at}: subprocess.run(..., timeout=), "
                            "Popen.wait(timeout=) or communicate(timeout=), then kill it")),
    (C.POOL_WAIT, "celery", ("do not wait for a task's result inside a task{at}: chain the work instead (a chain, a "
                            "chord or a callback task), or give .get(timeout=) and make sure a worker consumes the "
                            "subtasks' queue")),
    (C.POOL_WAIT, "", "wait for the result with a timeout{at}: future.result(timeout=), AsyncResult.get(timeout=)"),
    (C.FLOCK, "", ("take the file lock without blocking{at}: fcntl.flock(fd, LOCK_EX | LOCK_NB) in a loop with a "
                  "deadline, and find the process holding it")),
    (C.BUSY, "", "the loop{at} never ends: check its exit condition, bound it (a deadline or an iteration cap)"),
    (C.SLEEP, "SQLite", ("keep write transactions short and commit/close the other connection; give sqlite3.connect a "
                        "busy timeout (timeout=) that fails{at} instead of waiting")),
)


def _semaphore(ta: ThreadAnalysis | None) -> bool:
    """``threading:acquire`` is Python code only in Semaphore/BoundedSemaphore (Lock, RLock, Condition are C)."""
    return ta is not None and ta.signature.mechanism == "threading:acquire"


def _argument_order_deadlock(roles: dict[int, ThreadRole], by_index: dict[int, ThreadAnalysis],
                             holding: dict, threads: list[ThreadAnalysis]) -> Verdict | None:
    """Threads in the same code, each holding a lock and waiting for another, where the locks come from the
    arguments (``transfer(src, dst)``: ``with src.lock: with dst.lock:``): called with the arguments in opposite
    orders, the code deadlocks with itself. Names cannot tell the locks apart; distinct futex words, when the
    kernel state was captured, confirm the threads wait for different locks."""
    if any(ta.category == C.BUSY for ta in threads):
        return None
    groups: dict[tuple, list[ThreadRole]] = {}
    for r in roles.values():
        w = r.waits_for
        if r.category != C.LOCK_WAIT or w is None or not r.holds or _semaphore(by_index.get(r.thread)):
            continue
        ambiguous = w.key() is None or len(holding.get(w.key(), ())) > 1
        if ambiguous:
            groups.setdefault((r.function, w.file, w.line, w.name), []).append(r)
    for (function, _file, _line, name), members in groups.items():
        if len(members) < 2:
            continue
        if _holding_besides(roles, {r.thread for r in members}):
            continue  # another thread holds locks too: the awaited locks may be its own, not a cycle
        words = [by_index[r.thread].syscall_args for r in members]
        known = [w for w in words if w]
        if known and len(set(known)) < len(known):
            continue  # two of them wait on one futex: the same lock, not a cycle between them
        first = members[0].holds[-1]
        lines = [(f"Found a lock-order deadlock by argument order: {len(members)} threads each hold `{first.name}` "
                 f"({first.where()}) and wait for `{name}` ({members[0].waits_for.where()}) in {function}(); both "
                 f"locks come from arguments, so the same code, called with the locks in a different order in each "
                 f"thread, waits for itself. Take the locks in one global order.")]
        for r in members:
            held = ", ".join(f"`{h.shown()}` ({h.where()})" for h in r.holds)
            lines.append(f"  {r.label()}{r.at_function()} holds {held} and waits for `{r.waits_for.shown()}` "
                         f"({r.waits_for.where()})")
        evidence = ["with/acquire statements read from the source"]
        if len(known) == len(members):
            evidence.append(f"the {len(members)} threads wait on {len(set(known))} different futex words")
        return Verdict("deadlock", "\n".join(lines), tuple(members), tuple(evidence))
    return None


_IMPORT = lazy.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))")


SELF_DEADLOCK = "which it holds itself, taken further out"
JOIN_UNDER_LOCK = "a join of a thread that waits for a lock the joiner holds (read from the source)"


def _same_lock(held: LockRef, wanted: LockRef) -> bool:
    """The lock a joiner holds is the one its thread waits for: one identity, or (a lock handed to the thread as an
    argument, a local alias: no identity) the same name."""
    if held.key() is not None and wanted.key() is not None:
        return held.key() == wanted.key()
    return held.name.rpartition(".")[2] == wanted.name.rpartition(".")[2]


def _join_under_lock(roles: dict[int, ThreadRole], threads: list[ThreadAnalysis]) -> Verdict | None:
    """A thread that joins, with no timeout, a thread its own code started (the joined thread runs code of a module
    on the joiner's stack) while holding a lock that thread waits for: the join ends when the thread does, the thread
    when the lock is released, the lock after the join. A deadlock whose fix is in the joiner."""
    for ta in threads:
        r = roles.get(ta.index)
        if ta.category != C.JOIN or ta.timed or r is None or not r.holds:
            continue
        for o in threads:
            ro = roles.get(o.index)
            if (o.index == ta.index or ro is None or ro.category != C.LOCK_WAIT or ro.waits_for is None
                    or o.launched not in awaits(ta) or not app_modules(ta) & app_modules(o)):
                continue
            held = next((h for h in r.holds if _same_lock(h, ro.waits_for)), None)
            if held is None:
                continue
            text = (f"{r.label()}{r.at()} joins {ro.label()} while holding `{held.shown()}` ({held.where()}), which "
                    f"that thread waits for{ro.at_function()}: neither can go on (a join under a lock)")
            return Verdict("join", text, (r, ro), (JOIN_UNDER_LOCK,))
    return None


JOIN_NO_WAKE = "a join of threads waiting for a wake-up the joiner's stop does not send (read from the source)"
_WAITS = frozenset({C.QUEUE_GET, C.CONDITION_WAIT})


def _shutdowns(raw_threads: list, threads: list[ThreadAnalysis], roles: dict[int, ThreadRole], memo: tuple,
               roots: SourceRoots) -> tuple[list[ThreadAnalysis], dict[int, ThreadRole]]:
    """A join the pure pass took for a supervisor of services at rest (culprit.supervise) whose own function told
    them to stop: it set the flag their loops test to leave (`self.stopping = True` for `while True: conn =
    listener.accept(); if self.stopping: break`), while they block with no timeout in accept(), a read, a queue or
    an event, and read that flag only when something wakes them. Not a supervisor: a shutdown whose stop never
    reaches them, the join its hang (_join_never_wakes). The threads it joins, and the told ones' roles."""
    out = list(threads)
    told: dict[int, ThreadRole] = {}
    for k, ta in enumerate(out):
        if not (ta.benign and ta.before and ta.before[0] == C.JOIN) or ta.timed or not isinstance(
                raw_threads[ta.index], dict):
            continue
        role, _ = _role(ta, raw_threads[ta.index], True, *memo, roots)
        if not role.stops:
            continue
        heard = {}
        joinable = awaits(replace(ta, benign=False, category=C.JOIN))  # what the join waits for, as a join
        for o in threads:
            if o.index == ta.index or o.timed or o.launched not in joinable \
                    or not app_modules(ta) & app_modules(o) or not isinstance(raw_threads[o.index], dict):
                continue
            ro = roles.get(o.index) or _role(o, raw_threads[o.index], True, *memo, roots)[0]
            if set(ro.loop_flags) & set(role.stops):
                heard[o.index] = ro
        if heard:
            out[k] = replace(ta, category=C.JOIN, benign=False, detail=ta.before[1])
            roles[ta.index] = replace(role, category=C.JOIN)
            told.update(heard)
    return out, told


def _join_never_wakes(roles: dict[int, ThreadRole], threads: list[ThreadAnalysis],
                      told: dict[int, ThreadRole]) -> Verdict | None:
    """A thread that joins, with no timeout, threads its own code started, which wait with no timeout for an item or
    a wake-up (Queue.get(), Event.wait(), Condition.wait()) that the joiner's own stop was to give them: it set the
    flag their loop tests (`self.running = False`), but a thread blocked in get() or wait() reads that flag only when
    woken; or its function wakes the object they wait on (`inbox.put(None)`) after the join, on another branch, or
    once for more threads than that. The threads rest, waiting as designed; the fix is in the joiner's stop."""
    for ta in threads:
        r = roles.get(ta.index)
        if ta.category != C.JOIN or ta.timed or r is None or not (r.stops or r.wakes):
            continue
        flagged: list[tuple[ThreadRole, ThreadAnalysis, str]] = []
        unwoken: list[tuple[ThreadRole, ThreadAnalysis, str]] = []
        missed: list[tuple[ThreadRole, ThreadAnalysis, str]] = []  # handed an object it never wakes
        for o in threads:
            ro = roles.get(o.index) or told.get(o.index)
            if (o.index == ta.index or ro is None or ((o.category not in _WAITS or o.benign) and o.index not in told)
                    or o.timed or o.launched not in awaits(ta) or not app_modules(ta) & app_modules(o)):
                continue
            flag = next((f for f in ro.loop_flags if f in r.stops), None)
            verb, _, name = (ro.waits_on or "").partition(":")
            # the joiner's own name for what the thread waits on, when it handed it over (`args=(done,)`)
            handed = next((h[2] for h in r.hands if (h[0], h[1]) == (ro.function, name)), None)
            mine = handed or name
            if flag is not None:
                flagged.append((ro, o, flag))
            elif ro.waits_on is not None and f"{verb}:{mine}" in r.wakes:
                unwoken.append((ro, o, mine))
            elif handed is not None:
                missed.append((ro, o, mine))
        members = flagged or unwoken or missed
        if not members:
            continue
        first, joined, name = members[0]
        others = f" and {len(members) - 1} more thread(s) alike" if len(members) > 1 else ""
        rest = joined.detail.removeprefix("idle by design (").removesuffix(")") if joined.benign else ""
        waits = f"{rest}{first.at_function()}" if rest else f"waits in {joined.detail}{first.at_function()}"
        if flagged:
            how = (f"this function sets `{name}` for it to stop, but a thread blocked in that wait reads `{name}` "
                   f"only when something wakes it, and nothing does: a stop that never reaches the thread")
        elif unwoken:
            how = (f"the wake-up on `{name}` this function sends has not reached it (sent after the join, on another "
                   f"branch, or fewer than the threads waiting): a stop that never reaches the thread")
        else:
            sent = ", ".join(f"`{w.partition(':')[2]}`" for w in r.wakes) or ", ".join(f"`{n}`" for n in r.stops)
            how = (f"this function made `{name}` and handed it to no one else, so only it can wake that wait, and it "
                   f"never does (it signals {sent} instead): a stop that never reaches the thread")
        text = f"{r.label()}{r.at()} joins {first.label()}{others}, which {waits}; {how}"
        return Verdict("join", text, (r, *(m for m, _, _ in members)), (JOIN_NO_WAKE,))
    return None


def _running_module(t: dict) -> tuple[str, str] | None:
    """(module name, file:line) of the module whose top-level code this thread runs under an import, if any."""
    frames = [f for f in t.get("frames") or () if isinstance(f, dict) and f.get("kind") != "native"]
    for f, outer in itertools.pairwise(frames):
        if f.get("function") == "<module>" and "importlib" in str(outer.get("file") or ""):
            file = f.get("file") if isinstance(f.get("file"), str) else ""
            stem = os.path.splitext(os.path.basename(file))[0]
            name = os.path.basename(os.path.dirname(file)) if stem == "__init__" else stem
            return name, _where(f)
    return None


def _import_deadlock(roles: dict[int, ThreadRole], by_index: dict[int, ThreadAnalysis],
                     raw_threads: list) -> Verdict | None:
    """A thread waits for a module's import lock while the thread importing that module is stuck in the module's
    top-level code (a join, a lock, a wait on the first thread): neither import can finish."""
    waiters = [r for r in roles.values() if r.thread in by_index and by_index[r.thread].detail == C.IMPORT_LOCK]
    if not waiters:
        return None
    running = {}
    for i, t in enumerate(raw_threads):
        if isinstance(t, dict) and i in roles:
            found = _running_module(t)
            if found is not None:
                running[i] = found
    for r in waiters:
        m = _IMPORT.match(r.statement or "")
        wanted = (m.group(1) or m.group(2)).split(".")[-1] if m else None
        holders = [i for i, (name, _) in running.items() if i != r.thread and (wanted is None or name == wanted)]
        if len(holders) != 1:
            continue
        h = roles[holders[0]]
        name, where = running[holders[0]]
        hta = by_index[holders[0]]
        if hta.category in (C.BUSY, C.IDLE):
            continue
        text = (f"Found an import-time deadlock: {r.label()}{r.at_function()} waits for the import lock of module "
                f"`{name}`, held by {h.label()}, which runs that module's top-level code ({where}) and is stuck "
                f"there: {hta.detail}. Module-level code must not wait for threads (or anything) that import the "
                f"module being imported; move the work out of import time.")
        evidence = "importlib frames: a module lock wait, and a module body under import in another thread"
        return Verdict("deadlock", text, (r, h), (evidence,))
    return None


def _unknown(ta: ThreadAnalysis) -> str:
    """Unknown is not stopped: an imported dump has no kernel state, and a C call says nothing by itself."""
    if ta.detail.startswith("state unknown"):
        return "waits in a call the capture cannot see into (" + ta.detail + ")"
    return f"waits, but nothing says for what: {ta.detail}"


def _from_child(raw: dict, peer: str) -> bool:
    """The other end of the fd a thread blocks on (the kernel state's ``peer``, ``pid N (...)``) is one of this
    process's children."""
    kids = (raw.get("process") or {}).get("children") if isinstance(raw.get("process"), dict) else None
    if not isinstance(kids, list) or not peer.startswith("pid "):
        return False
    pid = peer[4:].split(" ", 1)[0]
    return pid.isdigit() and int(pid) in kids


def _child_output(r: ThreadRole, peer: str | None) -> str:
    what = f"`{r.statement}`" if r.statement else "its pipe"
    frm = f" ({peer})" if peer else ""
    return (f"reads a child process's output{frm} with no timeout, in {what}: the read ends only when the child "
            f"writes or closes its end (at its exit), and a child that is stuck, or blocked writing a pipe nobody "
            f"reads (stderr=PIPE never drained), never does")


def _pipe_read(peer: str | None, syscall: str | None) -> str:
    if peer is None:
        return "is blocked reading a pipe or file" + (" (read syscall)" if syscall == "read" else "")
    alone = ": nothing in this process will ever write to it" if peer.startswith("this process") else ""
    return f"is blocked reading a pipe whose other end is held by {peer}{alone}"


def main_last(v: Verdict) -> int:
    """Among verdicts of one kind, a worker thread explains more than the main thread supervising it."""
    return 1 if v.roles and v.roles[0].name == "MainThread" else 0


UNSEEN_JOIN = "joins threads the capture cannot see into"


def _loops_it_joins(ta: ThreadAnalysis, threads: list[ThreadAnalysis]) -> list[ThreadAnalysis]:
    """For a join that no stuck thread explains: the threads it can be joining, alive in loops idle by design (a
    poller, a flusher): a thread that ends only when told to, and nothing told it."""
    if ta.category != C.JOIN or not awaits(ta) or stuck_awaited(ta, threads):
        return []
    return [o for o in threads if o.index != ta.index and o.launched in awaits(ta) and o.chain
            and (o.benign or o.timed)]


def _keeps_alive(ta: ThreadAnalysis, r: ThreadRole, threads: list[ThreadAnalysis]) -> bool:
    """A join (no timeout) of threads alive in loops idle by design, by a function that did nothing to stop them (it
    set no flag, set no event, put nothing: read from its source): a service's keep-alive, which joins its loops so
    that the process lives as long as they do. A function that tried to stop them joins threads its stop missed; a
    thread nothing can see into may be the one it joins."""
    return (ta.category == C.JOIN and not (r.stops or r.wakes) and bool(_loops_it_joins(ta, threads))
            and not unseen_awaited(ta, threads))


def _unsure_join(v: Verdict, ta: ThreadAnalysis, threads: list[ThreadAnalysis]) -> Verdict:
    """A wait for threads (a join, an event a job sets, a future) that only threads nothing can see into may explain:
    its state is theirs (unknown), said after them."""
    unseen = unseen_awaited(ta, threads)
    if not unseen:
        return v
    names = ", ".join(f'"{o.name}"' for o in unseen[:4]) + (", ..." if len(unseen) > 4 else "")
    lead, _, rest = v.text.partition("\n")
    lead = lead.replace(" for a thread that never finishes", " for a thread that has not finished").replace(
        ": nothing sets or notifies it", ": not set yet")
    return Verdict("unknown", f"{lead}; the threads it can wait for that are not idle by design ({names}) are in "
                              f"calls the capture cannot see into: if one of them is stuck (see above), this "
                              f"{'join' if ta.category == C.JOIN else 'wait'} is its consequence"
                              + (f"\n{rest}" if rest else ""), v.roles,
                   v.evidence + (UNSEEN_JOIN,))


def _thread_verdict(ta, r: ThreadRole, roles, holders, by_index, shared, peer: str | None = None) -> Verdict:
    """One thread's verdict, with the locks it holds meanwhile (what it makes others wait for)."""
    v = _unsure_join(_wait_verdict(ta, r, roles, holders, shared, peer), ta, list(by_index.values()))
    loops = _loops_it_joins(ta, list(by_index.values())) if v.kind == "join" else []
    if loops:
        names = ", ".join(f'"{o.name}"' for o in loops[:4]) + (", ..." if len(loops) > 4 else "")
        v = Verdict(v.kind, f"{v.text}; the threads it can wait for ({names}) are alive, in loops that end only "
                            f"when told to stop", v.roles, v.evidence)
    if ta.blocks_event_loop:
        v = Verdict(v.kind, v.text + ", inside the asyncio event loop: a blocking call (or a loop) in a coroutine or "
                    "callback stops every other task of the loop; await an async equivalent or use "
                    "loop.run_in_executor()", v.roles, v.evidence)
    if ta.category == C.UNKNOWN and r.category != C.UNKNOWN and r.statement and not ta.syscall:
        lead, nl, rest = v.text.partition("\n")
        v = Verdict(v.kind, f"{lead} (likely: from the source line `{r.statement}`; the capture cannot see into the "
                            f"call){nl}{rest}", v.roles, v.evidence + (FROM_SOURCE,))
    held = [h for h in r.holds if r.waits_for is None or h.key() != r.waits_for.key() or h.key() is None]
    if held:
        v = Verdict(v.kind, v.text + " while holding " + ", ".join(f"`{h.shown()}` ({h.where()})" for h in held),
                    v.roles, v.evidence)
    return v


def _wait_verdict(ta, r: ThreadRole, roles, holders, shared, peer: str | None) -> Verdict:
    """What the thread waits for; ``peer`` is the other party of the fd it blocks on (kernel state), if known."""
    who = f"{r.label()}{r.at()}"
    cat = r.category
    kind = _KIND.get(cat, "unknown")
    if cat == C.LOCK_WAIT:
        w = r.waits_for
        if _semaphore(ta):
            name = f"semaphore `{w.shown()}`" if w is not None else "a semaphore"
            owners = [roles[i] for i in holders.get(w.key(), ()) if i != ta.index] if w is not None else []
            if owners:
                who_has = "; ".join(f"{o.label()}{o.at()}" for o in owners[:4])
                text = f"{who} waits for {name}: every slot is taken, held by {who_has}"
            else:
                text = (f"{who} waits for {name}: no slot is free and no thread in this process holds one: slots "
                        f"were acquired and never released (an acquire() without release() on some path), or "
                        f"taken by threads that are gone")
        elif w is not None and w.key() is None:
            text = (f"{who} waits for `{w.name}`, a lock passed in by its caller (which lock depends on the "
                    f"arguments)")
            others = [o for o in _holding_besides(roles, {ta.index}) if o.category != C.LOCK_WAIT]
            if others:
                text += "; held while stuck elsewhere: " + "; ".join(
                    ", ".join(f"`{h.shown()}`" for h in o.holds) + f" by {o.label()}{o.at_function()}"
                    for o in others[:3])
        elif w is not None:
            owner = holders.get(w.key())
            if isinstance(owner, list):
                owner = owner[0] if len(owner) == 1 else None
            mine = next((h for h in r.holds if h.key() == w.key()), None)
            if owner is not None and owner != ta.index:
                o = roles[owner]
                text = f"{who} waits for `{w.shown()}`, held by {o.label()}{o.at()}"
            elif mine is not None:
                # the source says this thread took the lock further out and takes it again: a Lock (an RLock
                # would not block its owner) waits for its own release
                return Verdict("deadlock", f"{who} waits for `{w.shown()}`, {SELF_DEADLOCK} ({mine.where()}): a "
                                           f"threading.Lock is not re-entrant, the thread deadlocks itself",
                               (r,), ("with/acquire statements read from the source",) + tuple(shared))
            else:
                text = (f"{who} waits for `{w.shown()}` and no thread in this process holds it: it was "
                        f"taken by a thread that is gone, or copied held into a forked child")
        elif presumed_lock(ta):
            text = f"{who} waits for a lock (a futex wait right under application code: `with lock:` or acquire())"
        else:
            text = f"{who} waits for a lock (in {ta.detail})"
        return Verdict(kind, text, (r,), tuple(shared))
    if cat == C.SOCKET_READ:
        no_timeout = ta.syscall in ("recvfrom", "recvmsg", "recv", "read")
        what = "an HTTP response" if "HTTP" in ta.detail else ("an SSL read" if "SSL" in ta.detail else "a socket")
        frm = f" from {peer}" if peer else ""
        tail = f" with no timeout{frm} (blocked in recv, not polling)" if no_timeout else frm
        if ta.timed:  # a request under way: a client library's, or one a thread awaits forever (culprit.requests)
            tail = (f"{frm} with a timeout on each try: a request under way whose peer has not answered; retried with "
                    f"no overall deadline (a client's Retry, a loop, a caller waiting with no timeout), it lasts as "
                    f"long as the peer stays silent")
        return Verdict(kind, f"{who} is blocked reading {what}{tail}", (r,))
    texts = {
        C.SOCKET_ACCEPT: "waits in accept() for a connection",
        C.CONNECT: "is blocked connecting a socket" + (f" to {peer}" if peer else ""),
        C.PIPE_READ: (_child_output(r, peer) if _CHILD_OUTPUT_LINE.search(r.statement or "") or (
            peer or "").startswith("its child ") else _pipe_read(peer, ta.syscall)),
        C.SUBPROCESS_WAIT: "waits for a child process to exit, with no timeout" + (
            f" ({ta.detail})" if ta.detail.startswith("multiprocessing") else ""),
        C.POOL_WAIT: f"waits for a result from a worker pool ({ta.detail}) with no timeout",
        C.FLOCK: "is blocked in flock(): " + (f"the lock is held by {peer}" if peer else
                                               "another process (or open file) holds the lock"),
        C.BUSY: "is busy on a CPU (a loop that does not finish)",
        C.QUEUE_GET: (f"waits in {ta.detail}: an item was taken and task_done() never called for it"
                      if ta.detail == C.QUEUE_JOIN else f"waits in {ta.detail} with no timeout: nothing is put into the queue"),
        C.QUEUE_PUT: f"is blocked in {ta.detail}: nothing takes from the queue",
        C.JOIN: (f"waits in {ta.detail} with a timeout, again and again, for a thread that does not finish" if ta.timed
                 else f"waits in {ta.detail} for a thread that never finishes"),
        C.CONDITION_WAIT: f"waits in {ta.detail}: nothing sets or notifies it",
        C.SLEEP: ("waits for a database lock: SQLite's busy handler sleeps and retries until the busy timeout "
                  "(another connection holds the database locked)" if "sqlite" in ta.detail.lower() else "sleeps"),
        C.SELECT: f"waits in {ta.detail}" + (" with no timeout: only one of its fds becoming ready ends it"
                                             if ta.forever else "") + (f" (it watches {peer})" if peer else ""),
        C.UNKNOWN: _unknown(ta),
        C.GIL_WAIT: "waits for the GIL",
    }
    text = f"{who} {texts.get(cat, ta.detail)}"
    if cat == C.SLEEP and "sqlite" in ta.detail.lower():
        kind = "lock"  # SQLite's busy handler sleeps while another connection holds the database lock
    return Verdict(kind, text, (r,))
