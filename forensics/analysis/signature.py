"""Thread and process signatures, and the position-weighted similarity used to merge near-identical ones.

A thread signature is what stays the same when the same bug is captured again:

* ``mechanism``: the standard-library API the application called to wait, seen from Python
  frames only (``threading:join``, ``queue:get``, ``urllib.request:open``), or ``""`` when the
  innermost application frame waits in a C call (``lock.acquire``, ``sock.recv``,
  ``time.sleep``), or ``"busy"`` for a thread running on a CPU. Native frames, kernel state and
  the source code make the *category* richer, but they are not in the signature: a capture
  with ``--native`` must land where the same hang captured without it lands.
* ``frames``: up to ``TOP_FRAMES`` application frames (``module:function``) from the wait
  outwards, recursion removed, stopping at the entry script's ``<module>`` frame.
* ``entry``: the outermost application function of the thread's chain (the function a thread or
  pool work item was started with, the job a framework or runner called), however deep it sits
  below the wait; ``""`` when the chain is longer than the scan keeps. Two threads stopped in the
  same shared helpers on behalf of different jobs (``sync_users`` vs ``sync_orders`` both in
  ``run_step() -> _take_pair()``) are different bugs: the similarity never merges different entries.
  Runner frames (``Runners``) are cut off first, so a job keeps its entry however it was launched.

A process signature is the set of its non-benign thread signatures (how many threads share
one is a count, not identity), with "parked" threads (a thread target whose only code is a
wait on an Event, Condition, queue or sleep: helper threads) kept apart so that extra idle helpers
do not split a cluster.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable

from forensics.records import record

TOP_FRAMES = 3
DISPATCH_CALLEES = 2
FAN_OUT = 3  # a runner called from several launchers calls at least this many times as many different jobs


@record(order=True)
class ThreadSignature:
    """What stays the same when the same bug is captured again: how the thread waits, the application frames near
    the wait (``module:function``, no line numbers) and what started it (see the module docstring)."""

    mechanism: str
    frames: tuple[str, ...]
    entry: str = ""

    def text(self) -> str:
        where = " < ".join(self.frames) if self.frames else "(no application frames)"
        if self.entry and self.entry not in self.frames:
            where += f" << {self.entry}"
        return f"{self.mechanism or 'call'} @ {where}"


@record
class ProcessSignature:
    """``threads``: sorted distinct non-benign thread signatures; ``parked``/``busy``: subsets with looser matching."""

    threads: tuple[ThreadSignature, ...]
    parked: frozenset[ThreadSignature] = frozenset()
    flags: frozenset[str] = frozenset()
    busy: frozenset[ThreadSignature] = frozenset()  # caught running: their leaf frame moves between captures
    # what native frames / the kernel said each C-call signature waits in (empty when the capture had no such evidence)
    evidence: tuple[tuple[ThreadSignature, frozenset[str]], ...] = ()

    @property
    def key(self) -> str:
        """Canonical text of the signature (flags excluded: they depend on how deep the capture went)."""
        return "\n".join(s.text() for s in self.threads)

    @property
    def digest(self) -> str:
        return _digest(self.key)

    @property
    def evidence_digest(self) -> str:
        """The digest with what each C-call signature waits in: tells apart one signature split by evidence."""
        return _digest(self.key + "".join(f"\n{s.text()} = {','.join(sorted(f))}" for s, f in self.evidence))

    @property
    def core(self) -> tuple[ThreadSignature, ...]:
        return tuple(s for s in self.threads if s not in self.parked)


def _digest(text: str) -> str:
    """A short stable id; hashlib is imported here, not at the top: a capture's summary names no signature."""
    import hashlib

    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _weights(n: int) -> list[float]:
    return [(1.0 + i) ** -1.5 for i in range(n)]


def frame_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Position-weighted alignment similarity in [0, 1] (TraceSim-style: frames near the wait weigh most).

    Frame i from the leaf weighs (1+i)**-1.5 (the entry end matters least); the best order-preserving alignment (weighted LCS) of the
    two stacks counts matched weights from both sides, normalized by the total weight of both.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    wa, wb = _weights(len(a)), _weights(len(b))
    # weighted LCS by dynamic programming; stacks here are a handful of frames
    prev = [0.0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0.0] * (len(b) + 1)
        ai = a[i - 1]
        for j in range(1, len(b) + 1):
            best = max(cur[j - 1], prev[j])
            if ai == b[j - 1]:
                m = prev[j - 1] + wa[i - 1] + wb[j - 1]
                best = max(best, m)
            cur[j] = best
        prev = cur
    return prev[-1] / (sum(wa) + sum(wb))


def thread_similarity(a: ThreadSignature, b: ThreadSignature) -> float:
    if a.mechanism != b.mechanism:
        return 0.0
    if a.entry and b.entry and a.entry != b.entry and a.entry not in b.frames and b.entry not in a.frames:
        # started for different jobs: similar helper frames above the wait do not make one bug. A thread started
        # on a function the other's path goes through (a worker thread on send_letters(), a task calling it
        # inline) is the same path, started at a different depth.
        return 0.0
    return frame_similarity(a.frames, b.frames)


@record
class Runners:
    """Application frames that run many different jobs: a CLI's dispatch, a runner's ``run_task``, a router.

    How a job was started (a console script, ``python -m pkg.runner TASK``, a threaded runner) is not the
    bug, but its frames are application frames like the job's own. Across a corpus they show: a runner calls
    many different functions (``DISPATCH_CALLEES`` or more) and is itself called from at most one place, or from a
    few launchers (a console script and ``python -m``) while it fans out to ``FAN_OUT`` times as many jobs, where a
    shared helper (``run_step(first, second)``) is called from several and calls few. A chain is cut below its innermost
    runner; in a store too small to show one, nothing is cut, and the same job under two runners stays split
    (splitting one bug is the lesser error).
    """

    dispatchers: frozenset[str] = frozenset()

    @classmethod
    def learn(cls, chains: Iterable[tuple[str, ...]]) -> Runners:
        callees: dict[str, set[str]] = {}
        callers: dict[str, set[str]] = {}
        for chain in set(chains):
            for inner, outer in itertools.pairwise(chain):
                callees.setdefault(outer, set()).add(inner)
                callers.setdefault(inner, set()).add(outer)
        return cls(frozenset(f for f, c in callees.items() if len(c) >= DISPATCH_CALLEES and (
            len(callers.get(f, ())) <= 1 or len(c) >= FAN_OUT * len(callers[f]))))

    def cut(self, chain: tuple[str, ...]) -> tuple[str, ...] | None:
        """The chain up to (not including) its innermost runner, or None when it has none."""
        for i in range(1, len(chain)):
            if chain[i] in self.dispatchers:
                return chain[:i]
        return None
