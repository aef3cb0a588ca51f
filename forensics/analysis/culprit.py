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
_WAITS_FOR_THREAD = frozenset({C.JOIN, C.POOL_WAIT, C.CONDITION_WAIT})
# Levels, below every tier: a helper-shaped thread (a short target parked on a wait), a join with no timeout (the
# joined thread is alive in this very process: its own wait explains more), a wait known to have a timeout (a
# loop that wakes up by itself, a join(timeout) in a loop included).
HELPER, JOINING, TIMED = 1, 2, 3
Rank = tuple[int, int, int]


def presumed_lock(t: ThreadAnalysis) -> bool:
    """A futex wait right under application code (no standard-library frame, no native evidence): on
    ``with lock:`` / ``lock.acquire()`` most likely (the GIL's own waits are told apart by infer_gil_waits)."""
    return t.category == C.UNKNOWN and t.syscall == "futex" and t.signature.mechanism == "" and bool(t.chain)


def _main(t: ThreadAnalysis) -> bool:
    return t.name == "MainThread"


def evidence_rank(t: ThreadAnalysis, supervised: bool = False) -> Rank:
    """(level, tier), lower is more to blame. ``supervised``: other threads of the process are stuck, so a main
    thread waiting on an event or a thread is most likely the runner waiting for them."""
    tier = _TIER[C.LOCK_WAIT] if presumed_lock(t) else _TIER.get(t.category, _TIER[C.UNKNOWN])
    if t.forever or (t.category == C.SLEEP and "sqlite" in t.detail.lower()):
        tier = 1  # a poll with no timeout, SQLite's busy handler (another connection holds the database)
    # more application code between the wait and the entry: more likely the work than a helper's loop
    deeper = -len(t.chain)
    if t.category == C.JOIN and not t.timed:
        return JOINING, tier, deeper
    if t.timed and tier > 1:
        return TIMED, deeper, tier  # loops all: the one with the most application code is the likeliest work
    if (t.parked or t.timed) and tier > 1:
        if t.timed or t.category == C.SLEEP:
            return TIMED, deeper, tier
        # a helper-shaped thread stopped in a C call or a select() of its own is more likely stuck than one on an
        # Event (a flusher's stop.wait(interval) looks like that without kernel state)
        return HELPER, 0 if t.category in (C.UNKNOWN, C.SELECT) else tier, deeper
    if supervised and _main(t) and t.category in _WAITS_FOR_THREAD:
        return 0, _TIER[C.JOIN], deeper
    return 0, tier, 0


def candidates(threads: Sequence[ThreadAnalysis]) -> list[ThreadAnalysis]:
    return [t for t in threads if not t.benign and t.category != C.IDLE]


def ranks(threads: Sequence[ThreadAnalysis]) -> dict[int, Rank]:
    """thread index -> evidence rank, for every thread that is not idle by design."""
    live = candidates(threads)
    stuck = any(not _main(t) and not t.parked and t.category not in (C.GIL_WAIT, C.JOIN) for t in live)
    return {t.index: evidence_rank(t, supervised=stuck) for t in live}


def blame(threads: Sequence[ThreadAnalysis]) -> tuple[ThreadAnalysis, ...]:
    """The threads of the best tier: a lock cycle's threads, the GIL holder, the blocked reader, the spinner."""
    r = ranks(threads)
    best = min(r.values(), default=(TIMED,))
    if best[0] == TIMED:
        # nothing but loops that wake up by themselves and threads idle by design: no thread is stuck, and the
        # process is known by its main work loop (the most application code), never by a helper's heartbeat
        idle = [t for t in threads if t.signature.frames or t.signature.mechanism]
        deepest = max((len(t.chain) for t in idle), default=0)
        return tuple(t for t in idle if len(t.chain) == deepest)
    return tuple(t for t in threads if r.get(t.index) == best)
