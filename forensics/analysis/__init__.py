"""Understand hangs: classify threads, sign stacks, explain deadlocks, cluster captures.

Pure functions, captures in and frozen records (forensics/records.py) out; nothing here starts a process. The
only I/O is reading application source files for the lock verdicts (``read_source=False``
turns it off) and, in ``cluster_paths``, reading capture files.

Public API (stable; the report and the CLI use only this)
---------------------------------------------------------
``analyze(capture, rules=None, read_source=True) -> ProcessAnalysis``
    ``capture`` is a ``forensics.model.Capture`` or its JSON dict. ``ProcessAnalysis`` has
    ``threads: tuple[ThreadAnalysis, ...]`` (same order as ``capture.threads``),
    ``signature: ProcessSignature``, ``gil_holder: int | None`` (thread index) and
    ``verdicts: tuple[Verdict, ...]`` (most important first).

``ThreadAnalysis``: ``index, tid, name, category`` (one of ``CATEGORIES``: ``lock-wait``,
    ``condition-wait``, ``gil-wait``, ``gil-holder-blocked``, ``socket-read``, ``socket-accept``,
    ``connect``, ``select``, ``queue-get``, ``queue-put``, ``sleep``, ``join``,
    ``subprocess-wait``, ``pool-wait``, ``pipe-read``, ``flock``, ``busy``, ``idle``,
    ``unknown``), ``detail`` (human text), ``blocking_frame`` (index into the thread's frames,
    leaf first, of the innermost application frame: mark it), ``benign`` (idle by design),
    ``parked`` (a helper thread whose whole code is one wait), ``owns_gil``,
    ``signature: ThreadSignature(mechanism, frames, entry)`` (``entry``: the application function a
    thread or pool work item was started with, ``""`` for a main thread; signatures with different
    entries never merge, unless one lies on the other's path), ``syscall``, ``syscall_args``, ``launched``
    (``"thread"``/``"pool"``: how its application code was started, ``""`` for the main thread), ``serves`` (a
    runner waiting for a job thread idle by design: that thread's index; the runner is idle too), ``importing``
    (runs a module body under import: holds that module's import lock).

``verdicts(capture, read_source=True, rules=None) -> tuple[Verdict, ...]``
    ``Verdict(kind, text, roles, evidence)``: ``kind`` in deadlock, gil, lock, io, subprocess,
    pool, flock, busy, queue, join, wait, sleep, idle, unknown; ``text`` may span lines;
    ``roles: tuple[ThreadRole, ...]`` with ``thread`` (index), ``tid``, ``name``, ``category``,
    ``function``, ``location`` ("file.py:41"), ``holds: tuple[LockRef]`` and
    ``waits_for: LockRef | None`` (``LockRef(name, file, line, ident)``; ``ident`` is the lock's identity,
    ``Class.attr`` for ``self.attr``, ``""`` for a parameter or local alias; ``shown()`` is how the
    verdict names it). ``Verdict.to_dict()``.

``cluster(captures, rules=None, threshold=0.8) -> list[Cluster]`` and
``cluster_paths(paths, rules=None, threshold=0.8, on_skip=None) -> list[Cluster]`` (the fast
path for a store: reads and parses each file once, keeps no capture in memory). Both take an
optional ``observe(raw, threads)`` called once per capture with the ``ThreadAnalysis`` list the
clustering computed (what the report needs to pick stuck threads without classifying twice).
    ``Cluster`` (ranked: distinct processes, hosts, days, captures): ``id`` (stable: hash of the
    leading signature), ``signature``, ``category`` (headline), ``verdict`` (text of the
    representative's first verdict), ``members: tuple[Member]`` (``id, source, host, pid,
    taken_at, python``), ``representative`` (capture id), ``processes``, ``hosts``, ``days``,
    ``first_seen``, ``last_seen``, ``thread`` (the representative thread's name),
    ``stack: tuple[StackLine]`` (representative thread, leaf first: ``function, module, file,
    line, kind, origin, key, blocking``), ``varies: dict[str, tuple[str, ...]]`` (keys:
    ``python``, ``lines``, ``frames``, ``paths``, ``thread_names``, ``hosts``; only what differs
    between members), and ``to_dict()`` for JSON.

``digest(raw, threads) -> Digest`` and ``cluster_digests(pairs, load, rules=None, threshold=0.8)``: clustering
in two steps, so that what it keeps of each capture (``Digest``: plain values and ``ThreadAnalysis``) can be
cached by content (``forensics/store/cache.py``) and a capture seen before is neither parsed nor classified again;
``load(ref)`` reads the representatives. ``cluster(captures)`` is the two steps in one.

``BenignRules(user=("mod:func", "mod:a+mod:b"))``: extra idle-by-design stacks (globs on
    normalized frame keys, ``+`` for "all of"); the defaults cover stdlib pools and servers.
``normalize_frame(kind, function, file, module) -> NFrame`` (``key``, ``module``,
    ``function``, ``origin``: stdlib/thirdparty/app/builtin/native, ``kind``).
"""
from __future__ import annotations

from collections.abc import Callable

from forensics.analysis.classify import (
    CATEGORIES,
    DEFAULT_BENIGN,
    NO_RULES,
    BenignRules,
    ThreadAnalysis,
    analyze_thread,
    facts_cache,
    infer_gil_waits,
)
from forensics.analysis.culprit import blame, queued, supervise, unsure
from forensics.analysis.normalize import NFrame, normalize_frame, normalize_thread_name
from forensics.analysis.signature import ProcessSignature, ThreadSignature, frame_similarity, thread_similarity
from forensics.analysis.source_roots import NO_ROOTS, SourceRoots
from forensics.analysis.verdict import LockRef, ThreadRole, Verdict, from_source, verdicts_from
from forensics.records import record, replace

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CATEGORIES", "DEFAULT_BENIGN", "BenignRules", "Cluster", "Digest", "LockRef", "Member", "NFrame",
    "ProcessAnalysis", "ProcessSignature", "Spot", "StackLine", "ThreadAnalysis", "ThreadRole", "ThreadSignature",
    "Verdict", "analyze", "analyze_threads", "cluster", "cluster_digests", "cluster_paths", "digest",
    "frame_similarity", "normalize_frame", "normalize_thread_name", "process_signature", "thread_similarity",
    "verdicts",
]


@record
class ProcessAnalysis:
    """Everything ``analyze`` learns of one capture: per-thread classification, the hang's signature, verdicts."""

    capture_id: str | None
    threads: tuple[ThreadAnalysis, ...]
    signature: ProcessSignature
    gil_holder: int | None
    verdicts: tuple[Verdict, ...] = ()

    @property
    def headline(self) -> str:
        return self.verdicts[0].text if self.verdicts else ""


def _as_dict(capture: Any) -> dict:
    if isinstance(capture, dict):
        return capture
    to_dict = getattr(capture, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"not a capture: {type(capture).__name__}")
    return to_dict()


def analyze_threads(raw: dict, rules: BenignRules | None = None) -> list[ThreadAnalysis]:
    """Classify every thread of a raw capture dict (no source reading): the hot path of clustering."""
    threads = raw.get("threads")
    if not isinstance(threads, list):
        return []
    r = rules or NO_RULES
    cache = facts_cache(r)
    out = [analyze_thread(i, t, r, cache) for i, t in enumerate(threads) if type(t) is dict]
    return supervise(infer_gil_waits(out))


def blamed_threads(threads: list[ThreadAnalysis] | tuple[ThreadAnalysis, ...]) -> tuple[ThreadAnalysis, ...]:
    """The threads a hang's identity is made of (``culprit.blame``); a process idle by design is known by its idle
    stacks."""
    return tuple(t for t in blame(threads) if t.signature.frames or t.signature.mechanism)


def process_signature(threads: list[ThreadAnalysis] | tuple[ThreadAnalysis, ...],
                      sign: Callable[[ThreadAnalysis], ThreadSignature] | None = None,
                      blamed: tuple[ThreadAnalysis, ...] | None = None) -> ProcessSignature:
    """The hang's identity: the distinct signatures of the threads it is blamed on, with what native frames or the
    kernel said they wait in. Bystanders are not part of it: they come and go between captures of one bug.
    ``sign`` re-signs a thread (clustering cuts the runner frames it learnt from the whole corpus)."""
    live = blamed_threads(threads) if blamed is None else blamed
    of = {t.index: (sign(t) if sign is not None else t.signature) for t in live}
    sigs = tuple(sorted(set(of.values())))
    soft = unsure(live) | queued(live)
    parked = frozenset(s for s in sigs if all(t.parked or t.index in soft for t in live if of[t.index] == s))
    flags = set()
    if any(t.category == "gil-holder-blocked" for t in live):
        flags.add("gil-held-blocked")
    busy = {of[t.index] for t in live if t.category == "busy"}
    if busy:
        flags.add("busy")
    fams: dict[ThreadSignature, set[str]] = {}
    for t in live:
        fam = t.family
        if fam is not None:
            fams.setdefault(of[t.index], set()).add(fam)
    evidence = tuple(sorted((s, frozenset(f)) for s, f in fams.items()))
    return ProcessSignature(sigs, parked, frozenset(flags), frozenset(busy), evidence)


def analyze(capture: Any, rules: BenignRules | None = None, read_source: bool = True,
            roots: SourceRoots = NO_ROOTS) -> ProcessAnalysis:
    """``roots``: where to read sources captured elsewhere (``--source-root``)."""
    raw = _as_dict(capture)
    threads = analyze_threads(raw, rules)
    holder = next((t.index for t in threads if t.owns_gil), None)
    ident = raw.get("id") if isinstance(raw.get("id"), str) else None
    memo: tuple[dict, dict] = ({}, {})  # one capture's source reads, shared by the two passes
    if read_source:
        threads = from_source(raw, threads, roots, memo)  # what the thread table shows agrees with the verdicts
    found = verdicts_from(raw, threads, read_source=read_source, roots=roots, memo=memo)
    # the source can turn an ambiguous futex wait into a lock wait: report what the verdicts learned
    learned = {r.thread: r.category for v in found for r in v.roles}
    final = tuple(
        replace(t, category="idle", benign=True, detail=f"idle by design ({t.detail}: parks forever on purpose)")
        if learned.get(t.index) == "idle" else
        replace(t, category=learned[t.index], detail=f"{t.detail}; the source line takes a lock")
        if learned.get(t.index, t.category) != t.category and t.category == "unknown" else t
        for t in threads
    )
    return ProcessAnalysis(
        capture_id=ident,
        threads=final,
        signature=process_signature(threads),
        gil_holder=holder,
        verdicts=found,
    )


def verdicts(capture: Any, read_source: bool = True, rules: BenignRules | None = None,
             roots: SourceRoots = NO_ROOTS) -> tuple[Verdict, ...]:
    """The verdicts alone, most important first (for ``collect``'s summary and ``show``)."""
    raw = _as_dict(capture)
    return verdicts_from(raw, analyze_threads(raw, rules), read_source=read_source, roots=roots)


_CLUSTERING = frozenset({"Cluster", "Digest", "Member", "Spot", "StackLine", "cluster", "cluster_digests",
                         "cluster_paths", "digest"})


def __getattr__(name: str) -> Any:
    """The clustering names, imported on first use: a capture's summary needs only ``verdicts``, and
    ``cluster.py`` is the package's largest module (~6 ms of every ``collect``)."""
    if name not in _CLUSTERING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    clustering = importlib.import_module("forensics.analysis.cluster")  # binds the package's `cluster` to the module
    globals().update({n: getattr(clustering, n) for n in _CLUSTERING})  # ... and this, to the function again
    return globals()[name]
