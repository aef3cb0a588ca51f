"""Which threads a hang is blamed on: ranking by evidence, bystanders apart.

A hung process carries threads that are not the bug and that come and go between captures of it:
heartbeats sleeping in a loop, flushers on ``Event.wait(timeout)``, the main thread of a runner
joining (or ``Event.wait``-ing on) the stuck worker, idle pools, threads starved of the GIL, jobs
queued on the lock the culprit holds. The culprit is the thread with the strongest evidence of
being stuck on its own account; a thread waiting for another thread of the process, or for a lock
that thread may hold, is a consequence of it. ``evidence_rank`` orders threads (lower: more to blame);
``blame`` picks the threads a capture's identity and its top verdict are about. Pure and cheap: it
reads the classification only, so clustering can call it for every capture.
"""
from __future__ import annotations

from collections.abc import Sequence

from forensics.analysis import classify as C
from forensics.analysis.classify import ThreadAnalysis
from forensics.records import replace

# Tiers, most to blame first. A blocked GIL holder stops everything; then a thread stuck on something outside
# the process's threads (a socket, a child, a file lock, the CPU); then waits that nothing in the process may
# end (an event, a queue); then lock waits (the holder may be one of the above); then waits for another thread
# (join, a future); then what has no evidence (a sleep, a poll, unknown); then GIL waiters and helper threads.
_TIER = {
    C.GIL_HOLDER_BLOCKED: 0,
    C.SOCKET_READ: 1, C.CONNECT: 1, C.PIPE_READ: 1, C.SUBPROCESS_WAIT: 1, C.FLOCK: 1, C.BUSY: 1, C.QUEUE_PUT: 1,
    C.QUEUE_GET: 2, C.CONDITION_WAIT: 2,
    C.LOCK_WAIT: 3,
    C.JOIN: 4, C.POOL_WAIT: 4,
    C.SLEEP: 5, C.SELECT: 5, C.UNKNOWN: 5,
    C.GIL_WAIT: 6,
}
# Levels, below every tier: a helper-shaped thread (a short target parked on a wait), a thread that waits for
# another thread of the process that is itself stuck (a consequence of it), a wait known to have a timeout (a loop
# that wakes up by itself, a join(timeout) in a loop included).
HELPER, DEPENDENT, TIMED = 1, 2, 3
SUPERVISION_DEPTH = 3  # runners waiting for runners waiting for a service
Rank = tuple[int, int, int]


def presumed_lock(t: ThreadAnalysis) -> bool:
    """A futex wait right under application code (no standard-library frame, no native evidence): on
    ``with lock:`` / ``lock.acquire()`` most likely (the GIL's own waits are told apart by infer_gil_waits)."""
    return t.category == C.UNKNOWN and t.syscall == "futex" and t.signature.mechanism == "" and bool(t.chain)


def awaits(t: ThreadAnalysis) -> frozenset[str]:
    """How the threads its wait ends on were started (``ThreadAnalysis.launched``), for a thread whose wait ends when
    another thread of the process finishes: Thread.join() (a Thread or a pool's worker), Future.result() and the
    pools' result waits (a pool's work item), Event.wait() with no timeout (how a runner waits for the thread that sets it when done:
    either). Empty for every other wait, and for waits on processes (multiprocessing's Process/Pool join: the
    children are elsewhere; a process pool's workers never run in this process). A wait with a timeout is a loop
    that wakes up by itself, except a join(timeout): a supervisor polling the thread it waits for (``supervise``)."""
    if t.benign or (t.timed and t.category != C.JOIN):
        return frozenset()
    if t.category == C.JOIN:
        # any thread of the process: one the application started, or a pool's worker running a job (the pools'
        # shutdown(wait=True) and join() join their workers)
        return frozenset() if t.detail.startswith("multiprocessing") else frozenset({"thread", "pool"})
    if t.category == C.POOL_WAIT:
        return frozenset({"pool"})
    if t.category == C.CONDITION_WAIT and t.detail == "Event.wait()":
        return frozenset({"thread", "pool"})
    return frozenset()


def _unseen(t: ThreadAnalysis) -> bool:
    """A helper-shaped thread stopped in a call nothing can see into (no kernel state, no native frames)."""
    return t.parked and t.category == C.UNKNOWN


_IO = frozenset({C.SOCKET_READ, C.CONNECT, C.PIPE_READ})


def _client_request(t: ThreadAnalysis) -> bool:
    """A client library's read of the reply to a request it sent (http.client, ssl, redis-py...): its timeout bounds one
    try of a request that is retried (the library's Retry, the job's own loop); a listener rests in a socket call of
    its own."""
    return t.detail in C.CLIENT_READS


def in_flight(t: ThreadAnalysis) -> bool:
    """A request under way: a job's socket (or pipe) call with a timeout. The timeout bounds one try, not the request:
    a client library retries it (redis-py's and urllib3's Retry), the job calls again. Waited for with no timeout
    (``requests``), it is the work that does not finish; waited for by nothing, a loop's rest (a listener's
    ``recv`` with a timeout)."""
    return t.timed and t.category in _IO and not t.benign and bool(t.chain)


def _resting(t: ThreadAnalysis) -> bool:
    """Idle by design, or in a wait that returns by itself: a timeout, a sleep (time.sleep() always returns; SQLite's
    busy handler sleeping while another connection holds the database is a wait for it, not a rest)."""
    return t.benign or (t.timed and not in_flight(t)) or (t.category == C.SLEEP and "sqlite" not in t.detail.lower())


def _serving(t: ThreadAnalysis) -> bool:
    """Idle by design, or waiting with a timeout: how a service waits for work. A sleep is not: a heartbeat's
    ``run() -> _tick()`` sleeps two calls deep, like a job; nor is a request under way (``in_flight``)."""
    return t.benign or (t.timed and not in_flight(t))


def requests(threads: list[ThreadAnalysis]) -> list[ThreadAnalysis]:
    """A socket call with a timeout of the application's own (``in_flight``: a listener's ``recv`` in its loop) that no
    thread waits for with no timeout rests like any wait with a timeout: idle by design, whether the capture saw the
    socket call in native frames or only its poll(). A client library's request waiting for its reply (``_client_
    request``) stays, and so does one a runner waits for forever (``Future.result()``, ``join()``), or one a worker
    framework runs as a task (its worker, and whoever sent the task or request, wait for it to return): its retries
    are the hang, the runner a consequence of it."""
    waiters = [w for w in threads if awaits(w) and not w.timed]
    out = list(threads)
    for k, t in enumerate(out):
        if in_flight(t) and not _client_request(t) and not t.task and not (
                _job(t) and any(w.index != t.index and t.launched in awaits(w) for w in waiters)):
            out[k] = replace(t, category=C.IDLE, benign=True, timed=False,
                             detail=f"idle by design ({t.detail}: a loop that wakes up periodically)")
    return out


def _stuck(t: ThreadAnalysis) -> bool:
    """Not resting: it may be what a waiter waits for. A short target stopped where nothing can see is counted too:
    nothing says it is a timer."""
    return not _resting(t) and t.category != C.IDLE


def _job(t: ThreadAnalysis) -> bool:
    """A thread started to do a job: a pool's work item, or a Thread whose target calls further application code.
    A one-function target (a heartbeat, a poller, a flusher loop) is a helper: it ends only when told to."""
    return bool(t.launched) and bool(t.chain) and (t.launched == "pool" or t.depth >= 2)


def stuck_awaited(t: ThreadAnalysis, threads: Sequence[ThreadAnalysis]) -> list[ThreadAnalysis]:
    """For a thread that waits for other threads: the ones it may be waiting for that are stuck. A short target
    stopped where nothing can see (an imported dump: a heartbeat's sleep looks the same as a lock wait) is no
    evidence that anything is stuck: the waiter's own wait (a join, an event, a future with no timeout) is, and it
    ranks above it."""
    kinds = awaits(t)
    if not kinds:
        return []
    return [o for o in threads if o.index != t.index and o.launched in kinds and _stuck(o) and not _unseen(o)]


def _idle_consumer(o: ThreadAnalysis) -> bool:
    """A consumer waiting for its next piece of work with no timeout (Queue.get())."""
    return (o.category == C.QUEUE_GET and not o.timed and not o.benign
            and o.signature.mechanism in ("queue:get", "multiprocessing.queues:get"))


# Where a server waits for its clients: an accept loop, a selector loop (idle by design only when it watches a listening
# socket or waits with a timeout), socketserver, an asyncio loop run forever
_SERVER_WAITS = frozenset({"socket:accept", "selectors:select", "socketserver:serve_forever",
                           "asyncio.base_events:run_forever", C.DATAGRAM_WAIT})
# An asyncio loop run for one coroutine (asyncio.run(), run_until_complete(): the outermost standard-library frame of
# its wait) waits for whatever that coroutine awaits, which may be a peer that never answers: a service only when its
# loop watches a listening socket, or when the capture cannot tell (no kernel state: taken for what an idle event loop
# nearly always is, like any multiplexer wait in such a capture)
_ONE_COROUTINE = frozenset({"asyncio.runners:run", "asyncio.base_events:run_until_complete"})


def _serving_loop(o: ThreadAnalysis) -> bool:
    """An asyncio loop run for one coroutine that is a server's (see _ONE_COROUTINE)."""
    return o.signature.mechanism in _ONE_COROUTINE and (o.listens or o.syscall is None)


def fed(threads: list[ThreadAnalysis]) -> list[ThreadAnalysis]:
    """A consumer waiting with no timeout for work (Queue.get()) beside a server idle by design that its own code
    started (the server runs code of a module on the consumer's stack): the server feeds the queue what its clients
    send, and both wait for clients. Idle by design. Beside no such server (the producer gone, or a heartbeat and an
    idle executor only), the consumer's wait stays the hang."""
    servers = [o for o in threads if o.benign and o.chain and (o.signature.mechanism in _SERVER_WAITS
                                                                or _serving_loop(o))]
    if not servers:
        return threads
    out = list(threads)
    for k, t in enumerate(out):
        server = next((o for o in servers if o.index != t.index and app_modules(o) & app_modules(t)), None)
        if server is not None and _idle_consumer(t):
            out[k] = replace(t, category=C.IDLE, benign=True,
                             detail=f'idle by design ({t.detail} for the work its server thread "{server.name}" '
                                    f"takes from clients)")
    return out


def supervise(threads: list[ThreadAnalysis]) -> list[ThreadAnalysis]:
    """A thread that waits for another thread of the process while no thread it could wait for is stuck, and a
    thread started for a job is alive and idle by design (a service loop, a server, a pool), supervises that job:
    the runner's main thread joining (or ``future.result()``-ing, ``done.wait()``-ing) a task that serves forever.
    It is idle by design too. Waiting for nothing but helper loops (a heartbeat, a poller that is never told to
    stop) stays a hang: such a thread ends only when told to. Repeated (a few rounds: a process of many waiters
    costs no more than that): a supervisor of a supervisor is one too."""
    out = fed(requests(list(threads)))
    if not any(awaits(t) for t in out):
        return out
    changed = True
    for _ in range(SUPERVISION_DEPTH):
        if not changed:
            break
        changed = False
        for k, t in enumerate(out):
            if not awaits(t) or stuck_awaited(t, out):
                continue
            served = [o for o in out if o.index != t.index and o.launched in awaits(t) and _job(o)
                      and (_serving(o) or _polling(o, t))]
            if served:
                o = served[0]
                out[k] = replace(t, category=C.IDLE, benign=True, serves=o.index, before=(t.category, t.detail),
                                 detail=f'idle by design ({t.detail} for thread "{o.name}", which is idle by design: '
                                        f"a runner supervising a service)")
                changed = True
            elif _waits_beside_services(t, out):
                loops = _joinable(t, out)
                names = ", ".join(f'"{o.name}"' for o in loops[:4]) + (", ..." if len(loops) > 4 else "")
                what = (f"of threads idle by design ({names}): a consumer pool or a service its supervisor joins; "
                        f"if this join is a shutdown, those loops end only when told to stop" if t.category == C.JOIN
                        else f"while the services it started serve ({names}): a main thread waiting for shutdown")
                out[k] = replace(t, category=C.IDLE, benign=True, before=(t.category, t.detail),
                                 detail=f"idle by design ({t.detail} {what})")
                changed = True
            elif t.timed and t.category == C.JOIN and all(_resting(o) for o in _joinable(t, out)):
                # join(timeout) in a loop, polling threads that rest: it returns by itself, the way it was written to
                out[k] = replace(t, category=C.IDLE, benign=True,
                                 detail=f"idle by design ({t.detail} with a timeout, of threads that rest: a loop "
                                        f"that polls them)")
                changed = True
    return out


def app_modules(t: ThreadAnalysis) -> set[str]:
    """The modules of a thread's application frames: what links a thread to the code that started it."""
    return {key.partition(":")[0] for key in t.chain}


def _polling(o: ThreadAnalysis, waiter: ThreadAnalysis) -> bool:
    """A job thread sleeping in a loop (a poller: ``time.sleep`` always returns) in code of a module the waiter runs:
    the code that started the job and waits for it (a runner's closure or method). A heartbeat or a flusher is
    started by a module of its own and sleeps in its own code: waiting for nothing but those stays a hang."""
    return (o.category == C.SLEEP and "sqlite" not in o.detail.lower()
            and bool(app_modules(o) & app_modules(waiter)))


def _joinable(t: ThreadAnalysis, threads: Sequence[ThreadAnalysis]) -> list[ThreadAnalysis]:
    return [o for o in threads if o.index != t.index and o.launched in awaits(t)]


# Where a consumer waits for its next piece of work (the outermost standard-library frame of its wait): a queue, a
# server's accept or selector loop, an asyncio event loop with nothing to run. A loop on ``Event.wait(timeout)`` or a
# sleep is a timer instead: that event is, by the idiom (``while not stop.wait(interval)``), how the loop is told to
# stop.
_WORK_WAITS = frozenset({"queue:get", "multiprocessing.queues:get", "socket:accept", "selectors:select",
                         "socketserver:serve_forever", "asyncio.base_events:run_forever", C.DATAGRAM_WAIT})
# A thread waiting for a signal (signal.sigwait(), pause()): a daemon's shutdown thread, which an event from outside
# the process ends (SIGTERM from its supervisor), not the program telling it to stop
_SIGNAL_WAITS = frozenset({"signal:sigwait", "signal:sigwaitinfo", "signal:sigtimedwait"})
_SIGNAL_SYSCALLS = frozenset({"pause", "rt_sigsuspend", "rt_sigtimedwait"})


def _waits_from_outside(o: ThreadAnalysis) -> bool:
    """Idle by design in a wait that something outside the process ends: a client, a datagram, a queue's producer,
    a signal."""
    mech = o.signature.mechanism
    return o.benign and (mech in _WORK_WAITS or mech in _SIGNAL_WAITS or o.syscall in _SIGNAL_SYSCALLS
                         or _serving_loop(o))


def _waits_beside_services(t: ThreadAnalysis, threads: Sequence[ThreadAnalysis]) -> bool:
    """A Thread.join() whose every candidate rests (idle by design, a wait with a timeout, a sleep) and at least one
    of them waits for something from outside the process (``Queue.get(timeout=)``, an accept loop, an asyncio loop,
    ``signal.sigwait()``): the main thread (or a supervisor) joining a consumer pool or a service that runs until the
    process is stopped, a standard healthy design.

    Which thread a join waits for is not in any capture (py-spy shows no join target), nor whether a thread is a
    daemon (a heartbeat or a flusher cannot be ruled out as the one it joins): any live thread started by threading
    may be it, and the joiner rests with them when they all rest and the process has work to wait for. When the
    only loops it can be joining are timers on an event (``while not stop.wait(5)``: the event is their stop
    signal), a join is a shutdown that waits for loops nothing told to stop: a hang (the verdict says so). A
    candidate nothing can see into (an imported dump) may be stuck: no claim either way (``unseen_joined``).

    ``Event.wait()`` with no timeout is how a main thread waits for shutdown (a signal handler sets the event) while
    the services it started serve: the same, when such a consumer runs code of a module the waiter runs (the code
    that started it). Beside consumers started elsewhere only (an idle executor, a framework's loop) the event may
    be one whose setter returned early: a hang."""
    if t.category not in (C.JOIN, C.CONDITION_WAIT) or not awaits(t):
        return False
    joinable = _joinable(t, threads)
    join = t.category == C.JOIN
    # a helper nothing can see into (an imported dump) beside the services does not stop a shutdown wait: the waiter
    # does not wait for it to finish
    return (all(_resting(o) or (not join and _unseen(o)) for o in joinable)
            and any(_waits_from_outside(o) and (join or bool(app_modules(o) & app_modules(t))) for o in joinable))


def unseen_awaited(t: ThreadAnalysis, threads: Sequence[ThreadAnalysis],
                   depth: int = SUPERVISION_DEPTH) -> list[ThreadAnalysis]:
    """For a wait that ends when another thread of the process finishes (``awaits``) and that no thread with evidence
    explains: the threads it may be waiting for that nothing can see into; its own state is theirs (unknown). A join
    may be joining any thread (``unseen_joined``). An ``Event.wait()`` or a ``Future.result()`` waits for a job (the
    thread or work item that sets the event or the result when done): only a job thread nothing can see into (an
    imported dump) leaves it unsure; a heartbeat or a flusher never sets what a runner waits for, so waiting with
    only those left (the setter returned early) stays a hang."""
    if t.category == C.JOIN:
        return unseen_joined(t, threads, depth)
    if not awaits(t):
        return []
    stuck = _only_unseen_stuck(t, threads, depth)
    return [] if stuck is None else [o for o in stuck if _job(o)]


def unseen_joined(t: ThreadAnalysis, threads: Sequence[ThreadAnalysis],
                  depth: int = SUPERVISION_DEPTH) -> list[ThreadAnalysis]:
    """For a Thread.join() that no thread with evidence explains: the threads it may be joining that nothing can see
    into (an imported dump: no kernel state, no native frames). One of them may be the stuck thread it waits for, or
    it may wait for a loop idle by design: the join's own state is unknown, and it ranks below them (whichever is
    stuck, the joined thread is the culprit, never the joiner). So is a join whose only stuck candidates are in that
    state (a pool's worker running a job), and a join of such a join (a runner joining the job thread that joins
    them)."""
    if t.category != C.JOIN or not awaits(t):
        return []
    stuck = _only_unseen_stuck(t, threads, depth)
    if stuck is None:
        return []
    return [o for o in _joinable(t, threads) if _unseen(o) or o in stuck]


def _only_unseen_stuck(t: ThreadAnalysis, threads: Sequence[ThreadAnalysis], depth: int) -> list[ThreadAnalysis] | None:
    """The stuck threads ``t`` may wait for, when each is one nothing can see into (no syscall, no native frames) or
    itself waits only for such threads (``depth`` levels down); None when one of them has evidence of its own."""
    stuck = stuck_awaited(t, threads)
    if any(not (o.category == C.UNKNOWN and o.syscall is None or depth and unseen_awaited(o, threads, depth - 1))
           for o in stuck):
        return None
    return stuck


def evidence_rank(t: ThreadAnalysis, dependent: bool = False) -> Rank:
    """(level, tier, ...), lower is more to blame. ``dependent``: the thread waits for another thread of the
    process that is itself stuck: a consequence of it."""
    tier = _TIER[C.LOCK_WAIT] if presumed_lock(t) else _TIER.get(t.category, _TIER[C.UNKNOWN])
    if t.forever or (t.category == C.SLEEP and "sqlite" in t.detail.lower()):
        tier = 1  # a poll with no timeout, SQLite's busy handler (another connection holds the database)
    # more application code between the wait and the entry: more likely the work than a helper's loop
    deeper = -len(t.chain)
    if dependent:
        return DEPENDENT, tier, deeper
    if t.timed and tier > 1:
        return TIMED, deeper, tier  # loops all: the one with the most application code is the likeliest work
    if t.parked and tier > 1:
        if t.category == C.SLEEP:
            return TIMED, deeper, tier  # a helper's timer
        # a helper-shaped thread stopped in a select() of its own, on a queue or an event with no timeout, or (no
        # kernel state) in a C call nothing can see into: after every thread with evidence
        return HELPER, 0 if t.category == C.SELECT else tier, deeper
    # a thread with application frames says where the application waits; one whose target is a library call (a
    # Thread(target=event.wait)) is only the mechanism; of two threads on a CPU, the one holding the GIL is running
    # Python (a loop, a regex), the other is in C code without it or was caught between waits for it
    return 0, tier, (0 if t.chain else 1) + (2 if t.category == C.BUSY and not t.owns_gil else 0)


def candidates(threads: Sequence[ThreadAnalysis]) -> list[ThreadAnalysis]:
    return [t for t in threads if not t.benign and t.category != C.IDLE]


def ranks(threads: Sequence[ThreadAnalysis]) -> dict[int, Rank]:
    """thread index -> evidence rank, for every thread that is not idle by design."""
    live = candidates(threads)
    dependent = consequences(threads)
    return {t.index: evidence_rank(t, dependent=t.index in dependent) for t in live}


def consequences(threads: Sequence[ThreadAnalysis]) -> frozenset[int]:
    """The threads that wait for a stuck thread of the process (``stuck_awaited``): consequences of it. A join of a
    stuck thread always is (that thread never ends). Waiters that wait only for one another are not: the waiters of
    one event (none of them sets it: the setter is gone), pool work items waiting for each other's futures (a pool
    that waits on itself). They form a wait cycle nothing outside it ends: a strongly connected component of the
    waits-for graph with no edge leaving it, and they are the hang itself."""
    edges = {t.index: [o.index for o in stuck_awaited(t, threads)] for t in threads if awaits(t)}
    edges = {k: v for k, v in edges.items() if v}
    if not edges:
        return frozenset()
    closed = _closed_cycles(edges)
    kind = {t.index: t.category for t in threads}
    return frozenset(k for k in edges if kind[k] == C.JOIN or k not in closed)


def _closed_cycles(edges: dict[int, list[int]]) -> set[int]:
    """Nodes whose strongly connected component (Tarjan, iterative) has no edge leaving it."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    comp: dict[int, int] = {}
    stack: list[int] = []
    on: set[int] = set()
    for root in edges:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        work = [(root, iter(edges.get(root, ())))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(edges.get(w, ()))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:  # v roots a component: name it after v
                    while True:
                        x = stack.pop()
                        on.discard(x)
                        comp[x] = v
                        if x == v:
                            break
    leaving = {comp[v] for v, outs in edges.items() for w in outs if comp[w] != comp[v]}
    return {v for v, c in comp.items() if c not in leaving}


def _idle_work(t: ThreadAnalysis) -> bool:
    """The process's work idle by design (a service loop, a wait with a timeout) in the main thread or a job thread;
    neither a helper's loop (a flusher, an accept loop: bystanders) nor a runner supervising the work."""
    return _serving(t) and bool(t.chain) and t.serves is None and (not t.launched or _job(t))


def blame(threads: Sequence[ThreadAnalysis]) -> tuple[ThreadAnalysis, ...]:
    """The threads of the best tier: a lock cycle's threads, the GIL holder, the blocked reader, the spinner."""
    r = ranks(threads)
    best = min(r.values(), default=(TIMED,))
    top = [t for t in threads if r.get(t.index) == best]
    if best[0] == TIMED or (all(_unseen(t) for t in top) and any(_idle_work(t) for t in threads)):
        # nothing but loops that wake up by themselves, threads idle by design and (an imported dump) short helpers
        # nothing can see into: no thread is known to be stuck, and the process is known by its main work (the
        # most application code), never by a helper's heartbeat nor by the runner supervising the work
        idle = [t for t in threads if (t.signature.frames or t.signature.mechanism) and t.serves is None]
        deepest = max((len(t.chain) for t in idle), default=0)
        return tuple(t for t in idle if len(t.chain) == deepest)
    if any(t.detail == C.IMPORT_LOCK for t in top):
        # an import-lock wait: the thread running a module's top-level code under import holds that lock; its own
        # wait (whatever the capture could see of it) is the other half of the deadlock
        top += [t for t in threads if t.importing and not t.benign and t not in top]
    elif all(awaits(t) for t in top):
        # a thread that waits for threads leads, and threads nothing can see into may be the ones it waits for: the
        # hang is known by both (a capture with kernel state or native frames says which is stuck; ``unsure``)
        top += [o for o in threads if _unseen(o) and o not in top and any(o.launched in awaits(t) for t in top)]
    return tuple(top)


def queued(blamed: Sequence[ThreadAnalysis]) -> frozenset[int]:
    """Of a capture's blamed lock waiters, the ones that wait on the same futex word (one lock) as another: a lock of
    the cycle with jobs queued on it, or contention. Which of them is the cycle's and which are queued behind it the
    capture cannot say, and the queued ones come and go between captures of one bug: none of them has to be in
    another capture of it (``ProcessSignature.parked``)."""
    words: dict[int, int] = {}
    for t in blamed:
        if t.syscall == "futex" and t.syscall_args and (t.category == C.LOCK_WAIT or presumed_lock(t)):
            words[t.syscall_args[0]] = words.get(t.syscall_args[0], 0) + 1
    return frozenset(t.index for t in blamed if t.syscall == "futex" and t.syscall_args
                     and words.get(t.syscall_args[0], 0) > 1)


def unsure(blamed: Sequence[ThreadAnalysis]) -> frozenset[int]:
    """Of a capture's blamed threads, the waiters blamed beside threads nothing can see into that they may wait for:
    which of the two is the hang this capture cannot say, so another capture of it may show either alone."""
    unseen = [o for o in blamed if _unseen(o)]
    return frozenset(t.index for t in blamed if awaits(t) and any(o.launched in awaits(t) for o in unseen))
